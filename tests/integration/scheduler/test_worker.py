"""The scheduler's actor on its RabbitMQ queue, run by a real dramatiq worker."""

from __future__ import annotations

import pytest

from shared.contracts import SCHEDULER, envelope
from shared.deadletter import REASON_HEADER
from shared.publisher import to_queue
from tests.helpers import drain_queue, eventually, running_worker
from tests.integration.scheduler.support import plan_of, status_assigned, utc


@pytest.fixture()
def worker(broker, queues, clean_db):
    with running_worker(broker, SCHEDULER) as worker:
        yield worker


def test_events_on_the_scheduler_queue_become_plans(worker, broker, sessions):
    data = status_assigned(7, interval=1, assigned_at=utc(2026, 11, 20, 16, 0))
    to_queue(broker, "scheduler", envelope("StatusAssigned", data))
    plan = eventually(lambda: plan_of(sessions, 7))
    assert plan.next_call_at == utc(2026, 11, 23, 8, 0)


def test_a_routine_the_scheduler_does_not_do_is_dead_lettered_with_the_reason(
    worker, broker, queues
):
    env = envelope("RunRoutine", {"routine": "make_coffee", "period": "2026-11-26T02:00Z"})
    to_queue(broker, "scheduler", env)
    [(_, props, body)] = eventually(lambda: drain_queue(queues, "scheduler.XQ"))
    assert body["args"][0]["message_id"] == env["message_id"]
    assert "make_coffee" in props.headers[REASON_HEADER]
