"""The notifier's clean-up routine, triggered by the scheduler's RunRoutine."""

from __future__ import annotations

from sqlalchemy import func, select, text

from services.notifier.adapters.orm import CallAssignment, InboxMessage, OutboxMessage
from shared.deadletter import REASON_HEADER
from tests.helpers import drain_queue, eventually


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_cleanup_deletes_what_is_past_retention_and_keeps_the_rest(notifier, sessions, engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notifier.outbox (message_id, aggregate, aggregate_id, type, version, "
                "occurred_at, data, queue, published_at) VALUES "
                "(gen_random_uuid(), 'x', '1', 'CancelTimer', 1, now(), '{}', 'scheduler', now() - interval '30 days'), "
                "(gen_random_uuid(), 'x', '2', 'CancelTimer', 1, now(), '{}', 'scheduler', NULL), "
                "(gen_random_uuid(), 'x', '3', 'CancelTimer', 1, now(), '{}', 'scheduler', now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO notifier.call_assignments (key, plan_id, due_at, assignee_id, created_at) "
                "VALUES ('call:1:old', 1, now(), 1, now() - interval '30 days'), ('call:2:new', 2, now(), 1, now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO notifier.inbox (message_id, processed_at) "
                "VALUES (gen_random_uuid(), now() - interval '30 days')"
            )
        )
    notifier.send("RunRoutine", {"routine": "notifier_cleanup", "period": "2026-11-26T04:15Z"})
    eventually(lambda: count(sessions, CallAssignment) == 1)
    assert count(sessions, OutboxMessage) == 2  # the pending row and the fresh one stay
    with sessions() as session:
        assert session.scalar(select(func.min(InboxMessage.processed_at))) > session.scalar(
            text("SELECT now() - interval '1 day'")
        )


def test_an_unknown_routine_is_dead_lettered_with_the_reason(notifier, amqp):
    amqp.queue_purge("notifier.XQ")
    env = notifier.send("RunRoutine", {"routine": "reclassify_buyers", "period": "p"})
    dead = eventually(lambda: drain_queue(amqp, "notifier.XQ"))
    [(_, props, body)] = dead
    assert body["message_id"] == env["message_id"]
    assert "not done by the notifier" in props.headers[REASON_HEADER]
