"""Due calls go out in batches confirmed as a whole: nothing is marked before the broker
confirmed it, and what is sent again keeps its message id."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import text

from services.scheduler.adapters import due_batches
from services.scheduler.adapters.ticker import Ticker
from shared.batch_publisher import BatchPublisher, NotConfirmed, Pending
from shared.publisher import queued
from tests.integration.scheduler.support import dramatiq_envelopes, utc

DUE_AT = utc(2026, 11, 23, 8, 0)
CALLS = 120  # more than one chunk of the sender and one claim of the emitter


@pytest.fixture()
def due_plans(owner_engine, clean_db):
    """``CALLS`` plans due at ``DUE_AT``, already known to the CRM."""
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "status_id, status_version, interval_days, anchor_at, next_call_at, state, "
                "revision, published_revision) SELECT 'lead', g, 1, 1, 1, 1, :at, :at, "
                "'planned', 1, 1 FROM generate_series(1, :n) g"
            ),
            {"at": DUE_AT, "n": CALLS},
        )
    return CALLS


def states(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT state, count(*) FROM scheduler.call_plans GROUP BY 1")).all()
        )


def ids_by_plan(queues, queue: str) -> dict[int, list[str]]:
    """The ids of the messages that brought each plan's due call to ``queue`` (CallsDue
    batches, each call's id being its batch's)."""
    ids = defaultdict(list)
    for env in dramatiq_envelopes(queues, queue):
        for call in env["data"]["calls"]:
            ids[call["plan_id"]].append(env["message_id"])
    return ids


@pytest.fixture()
def refusing_tap(queues, settings):
    """A queue bound to ``call_plan.due`` that refuses every message: the broker nacks them."""
    queues.exchange_declare(settings.events_exchange, exchange_type="topic", durable=True)
    queues.queue_declare(
        "refusing_tap", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
    )
    queues.queue_bind("refusing_tap", settings.events_exchange, "call_plan.due")
    yield "refusing_tap"
    queues.queue_delete("refusing_tap")


def test_a_batch_the_broker_refuses_is_not_marked_and_goes_out_again_under_its_ids(
    ticker, due_plans, engine, queues, refusing_tap
):
    with pytest.raises(NotConfirmed, match="nacked"):
        ticker.tick(now=DUE_AT)
    assert states(engine) == {"planned": CALLS}

    queues.queue_delete(refusing_tap)
    ticker.tick(now=DUE_AT)

    assert states(engine) == {"due": CALLS}
    # The notifier's copies of the refused batch arrived too: the re-sent ones share their
    # ids, so its inbox acts on each call once.
    ids = ids_by_plan(queues, "notifier")
    assert sorted(ids) == list(range(1, CALLS + 1))
    assert all(len(set(sent)) == 1 for sent in ids.values())
    assert any(len(sent) == 2 for sent in ids.values())


def test_rows_left_over_by_the_time_budget_are_not_marked_and_go_out_with_a_later_batch(
    ticker, due_plans, engine, queues, monkeypatch
):
    # No time to build more than one chunk of a claim: the rest stay planned until the next.
    monkeypatch.setattr(due_batches, "BATCH_BUDGET", 0.0)
    ticker.sender.chunk = 10

    ticker.tick(now=DUE_AT)

    assert states(engine) == {"due": CALLS}
    ids = ids_by_plan(queues, "notifier")
    assert sorted(ids) == list(range(1, CALLS + 1))
    assert all(len(sent) == 1 for sent in ids.values())


class DiesBeforeConfirms(BatchPublisher):
    """Hands its first batch to the broker, then the process 'dies' before any confirm."""

    def submit(self, messages):
        super().submit(messages)
        raise SystemExit("killed between publish and confirm")


def killed_then_restarted(dying_publisher, sessions, broker, scheduler_settings, engine, queues):
    """A tick whose publisher 'dies' at some point marks nothing; a restarted tick sends
    every call once, each under the one message id it had."""
    dying = Ticker(sessions, broker, scheduler_settings)
    published = dying.sender.publisher
    dying.sender.publisher = dying_publisher(
        scheduler_settings.broker_url, declare_queue=published.declare_queue
    )
    with pytest.raises(SystemExit):
        dying.tick(now=DUE_AT)
    dying.close()
    assert states(engine) == {"planned": CALLS}

    restarted = Ticker(sessions, broker, scheduler_settings)
    try:
        restarted.tick(now=DUE_AT)
    finally:
        restarted.close()
    assert states(engine) == {"due": CALLS}
    ids = ids_by_plan(queues, "notifier")
    assert sorted(ids) == list(range(1, CALLS + 1))
    assert all(len(set(sent)) == 1 for sent in ids.values())


def test_a_tick_killed_between_publish_and_confirm_marks_nothing_and_resends_the_same_ids(
    sessions, broker, scheduler_settings, due_plans, engine, queues
):
    killed_then_restarted(DiesBeforeConfirms, sessions, broker, scheduler_settings, engine, queues)


class DiesWaiting(Pending):
    def wait(self) -> None:
        raise SystemExit("killed while waiting for confirms")


class DiesWaitingForConfirms(BatchPublisher):
    """Sends its batches; the process 'dies' while waiting for the first one's confirms,
    after the emitter has written the rows' mark in its open transaction."""

    def submit(self, messages):
        super().submit(messages)
        return DiesWaiting(messages, self.timeout)


def test_a_tick_killed_after_writing_the_mark_but_before_the_confirms_marks_nothing(
    sessions, broker, scheduler_settings, due_plans, engine, queues
):
    killed_then_restarted(
        DiesWaitingForConfirms, sessions, broker, scheduler_settings, engine, queues
    )


def test_a_message_larger_than_a_frame_arrives_whole(settings, broker, queues):
    """Bodies go in frames of at most 4 KiB; a long one is cut and put together again."""
    publisher = BatchPublisher(
        settings.broker_url, declare_queue=lambda queue: broker.declare_queue(queue, ensure=True)
    )
    note = "".join(f"{n:05d}" for n in range(3000))  # 15,000 characters
    env = {
        "message_id": "5d0c1c55-9f1e-4d4e-8a9a-4c1f1b1e0a02",
        "type": "CallDue",
        "data": {"note": note},
    }
    try:
        publisher.send([queued("notifier", env)])
    finally:
        publisher.close()
    assert dramatiq_envelopes(queues, "notifier") == [env]


def test_a_message_no_queue_takes_fails_its_batch(settings):
    publisher = BatchPublisher(settings.broker_url)
    env = {"message_id": "5d0c1c55-9f1e-4d4e-8a9a-4c1f1b1e0a01", "type": "CallDue", "data": {}}
    try:
        with pytest.raises(NotConfirmed, match="unroutable"):
            publisher.send([queued("no_such_queue", env)])
    finally:
        publisher.close()
