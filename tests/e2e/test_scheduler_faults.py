"""The scheduler as real processes: side-by-side instances, kill -9 mid-batch, the worker path."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import text

from shared.contracts import envelope
from shared.db import utcnow
from shared.publisher import to_queue
from tests.e2e.conftest import BIN, Service
from tests.helpers import bind_events, drain_queue, eventually

WORKER = [
    str(BIN / "dramatiq"),
    "services.scheduler.entrypoints.actors",
    "--processes",
    "1",
    "--threads",
    "2",
    "--queues",
    "scheduler",
]


@pytest.fixture()
def processes(system, tmp_path):
    """Start scheduler processes of our own: several of one kind, each with its own log."""
    started: list[Service] = []
    env = {**system.env, "SCHEDULER_BATCH_SIZE": "50", "SCHEDULER_ROUTINES": ""}

    def start(name: str, argv: list[str] | None = None) -> Service:
        log_dir = tmp_path / f"{name}-{len(started)}"
        log_dir.mkdir()
        service = Service("scheduler", env, log_dir)
        if argv:
            service.argv = argv
        started.append(service.start())
        return service

    yield start
    for service in started:
        service.stop()


def ready(service: Service) -> bool:
    return "tick loop active" in service.logs()


def insert_due_plans(engine, count: int) -> None:
    """``count`` plans whose calls fell due in the last minute, already known to the CRM."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "status_id, status_version, interval_days, anchor_at, next_call_at, state, "
                "revision, published_revision) "
                "SELECT 'lead', g, 1, 1, 1, 1, now(), now() - make_interval(secs => g % 60), "
                "'planned', 1, 1 FROM generate_series(1, :count) g"
            ),
            {"count": count},
        )


class Collector:
    """Every CallDue that reached a queue bound to ``call_plan.due``, by plan id."""

    def __init__(self, amqp, exchange: str):
        self.amqp = amqp
        self.queue = bind_events(amqp, exchange, "call_plan.due")
        self.ids_by_plan: dict[int, list[str]] = defaultdict(list)

    def collect(self) -> int:
        for _, _, body in drain_queue(self.amqp, self.queue):
            self.ids_by_plan[body["data"]["plan_id"]].append(body["message_id"])
        return len(self.ids_by_plan)

    def all_of(self, count: int):
        return lambda: self.collect() >= count


def emitted_by(service: Service) -> int:
    return sum(int(n) for n in re.findall(r'"count": (\d+)', service.logs()))


def test_two_schedulers_on_the_same_due_rows_emit_each_call_once(processes, engine, amqp, settings):
    calls = Collector(amqp, settings.events_exchange)
    first, second = processes("scheduler"), processes("scheduler")
    eventually(lambda: ready(first) and ready(second), timeout=30)

    insert_due_plans(engine, 1500)  # the NOTIFY wakes both at once

    eventually(calls.all_of(1500), timeout=60)
    calls.collect()
    assert sorted(calls.ids_by_plan) == list(range(1, 1501))
    assert all(len(ids) == 1 for ids in calls.ids_by_plan.values())

    # Both really took part; each logs its count once its tick is over.
    def shares():
        counts = [emitted_by(first), emitted_by(second)]
        return counts if sum(counts) == 1500 else None

    assert min(eventually(shares)) > 0


# Enough due calls that a scheduler emitting thousands a second is still at it when killed.
KILLED_MID_BATCH = 20_000


def test_a_scheduler_killed_mid_batch_reemits_the_same_ids_after_restart(
    processes, engine, amqp, settings
):
    calls = Collector(amqp, settings.events_exchange)
    insert_due_plans(engine, KILLED_MID_BATCH)
    scheduler = processes("scheduler")

    eventually(lambda: calls.collect() >= 300, timeout=60, interval=0.01)
    scheduler.kill()  # SIGKILL: no rollback, no clean-up, maybe mid-publish
    with engine.connect() as conn:
        left = conn.scalar(
            text("SELECT count(*) FROM scheduler.call_plans WHERE state = 'planned'")
        )
    assert left > 0, "the kill came too late to interrupt anything"
    scheduler.start()

    eventually(calls.all_of(KILLED_MID_BATCH), timeout=90)
    calls.collect()
    assert sorted(calls.ids_by_plan) == list(range(1, KILLED_MID_BATCH + 1))
    # A call published before the kill and again after it carries the same message id,
    # so consumers that record ids act on it once.
    assert all(len(set(ids)) == 1 for ids in calls.ids_by_plan.values())

    # The last batch is marked once the broker confirmed it: its commit may trail the calls.
    def states():
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT state, count(*) FROM scheduler.call_plans GROUP BY 1"))
            return dict(rows.all())

    eventually(lambda: states() == {"due": KILLED_MID_BATCH}, timeout=30)
    resent = sum(len(ids) - 1 for ids in calls.ids_by_plan.values())
    print(f"calls re-sent after the kill, under their first message id: {resent}")


def test_an_event_through_the_worker_process_comes_out_due_from_the_tick_loop(
    processes, broker, amqp, settings
):
    calls = Collector(amqp, settings.events_exchange)
    processes("worker", WORKER)
    processes("scheduler")
    now = utcnow()
    data = {
        "assignment_id": 1,
        "subject_kind": "counterparty",
        "subject_id": 77,
        "status_id": 1,
        "status_name": "Hot",
        "status_version": 1,
        "previous_status_id": None,
        "generate_calls": True,
        "call_interval_days": 0,
        "responsible_id": 5,
        "responsible_timezone": "Europe/Berlin",
        "assigned_by_id": None,
        "assigned_at": (now - timedelta(seconds=1)).isoformat(),
        "reason": None,
    }
    to_queue(broker, "scheduler", json.loads(json.dumps(envelope("StatusAssigned", data))))
    eventually(calls.all_of(1), timeout=60)
    [ids] = calls.ids_by_plan.values()
    assert len(ids) == 1
