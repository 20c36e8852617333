"""Periodic routines: one run per period across instances, recorded, sent to the worker's queue."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import select

from services.scheduler.adapters.orm import Timer
from services.scheduler.adapters.routine_runner import RoutineRunner
from services.scheduler.domain.routines import Routine
from services.scheduler.handlers.routines import cleanup
from shared.db import transaction, utcnow
from tests.integration.scheduler.support import dramatiq_envelopes, utc

NIGHTLY = Routine("reclassify_buyers", "crm", "0 2 * * *")


def run_side_by_side(runners, now):
    """Both instances reach the same period at the same moment."""
    start = threading.Barrier(len(runners))
    counts = []

    def run(runner):
        start.wait()
        counts.append(runner.run_due(now))

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sum(counts)


def test_two_instances_run_a_routine_once_per_period(sessions, broker, queues, clean_db):
    runners = [RoutineRunner(sessions, broker) for _ in range(2)]
    runners[0].install_defaults([NIGHTLY])

    started = [
        run_side_by_side(runners, utc(2026, 11, 26, 2, 0, 5)),
        run_side_by_side(runners, utc(2026, 11, 26, 14, 0)),  # same period later that day
        run_side_by_side(runners, utc(2026, 11, 27, 2, 0)),  # next night
    ]
    assert started == [1, 0, 1]
    runs = dramatiq_envelopes(queues, "crm")
    assert [(r["type"], r["data"]["period"]) for r in runs] == [
        ("RunRoutine", "2026-11-26T02:00Z"),
        ("RunRoutine", "2026-11-27T02:00Z"),
    ]
    assert all(r["data"]["routine"] == "reclassify_buyers" for r in runs)


def test_a_restarted_instance_does_not_run_the_current_period_again(
    sessions, broker, queues, clean_db
):
    first = RoutineRunner(sessions, broker)
    first.install_defaults([NIGHTLY])
    assert first.run_due(utc(2026, 11, 26, 3, 0)) == 1
    assert RoutineRunner(sessions, broker).run_due(utc(2026, 11, 26, 9, 0)) == 0


def test_a_routines_schedule_edited_in_its_table_is_kept_over_the_default(
    sessions, broker, clean_db
):
    runner = RoutineRunner(sessions, broker)
    runner.install_defaults([NIGHTLY])
    runner.install_defaults([Routine("reclassify_buyers", "crm", "0 5 * * *")])
    assert runner.routines() == [NIGHTLY]
    assert runner.next_run(utc(2026, 11, 26, 3, 0)) == utc(2026, 11, 27, 2, 0)


def test_the_scheduler_cleanup_drops_old_tombstones_but_keeps_pending_timers(sessions, clean_db):
    old = utcnow() - timedelta(days=30)
    with transaction(sessions) as session:
        for key, state in (("done", "fired"), ("off", "cancelled"), ("later", "pending")):
            session.add(
                Timer(
                    key=key,
                    fire_at=old,
                    reply_to="crm",
                    payload={},
                    state=state,
                    set_by=uuid.uuid4(),
                    changed_at=old,
                )
            )
    with transaction(sessions) as session:
        counts = cleanup(session, timedelta(days=7))
        assert counts["timers"] == 2
        assert session.scalars(select(Timer.key)).all() == ["later"]
