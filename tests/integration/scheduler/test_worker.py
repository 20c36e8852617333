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


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-01:00"])
def test_a_message_with_an_instant_outside_2000_to_2100_is_dead_lettered(
    worker, broker, queues, sessions, moment
):
    env = envelope("StatusAssigned", status_assigned(8, assigned_at=utc(2026, 11, 20, 16, 0)))
    env["data"]["assigned_at"] = moment
    to_queue(broker, "scheduler", env)
    [(_, props, body)] = eventually(lambda: drain_queue(queues, "scheduler.XQ"))
    assert body["args"][0]["message_id"] == env["message_id"]
    assert "data.assigned_at" in props.headers[REASON_HEADER]
    assert "2000-01-01" in props.headers[REASON_HEADER]
    assert plan_of(sessions, 8) is None
