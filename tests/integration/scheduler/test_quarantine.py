"""A due plan or timer the tick can never emit is set aside with its reason; the rest flows."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from services.ops.cli import main as crm_ops
from services.scheduler.adapters.orm import CallPlan, Timer
from services.scheduler.adapters.ticker import CHANNEL, Ticker
from shared.db import libpq_dsn, transaction, utcnow
from tests.helpers import eventually
from tests.integration.scheduler.support import dramatiq_envelopes, received

# Year 1: its message timestamp would be negative. Year 0 (1 BC): no Python datetime holds it.
YEAR_1 = "0001-01-01 00:00:00+00"
YEAR_0 = "0001-12-31 23:00:00+00 BC"


def plan(sessions, subject_id: int, due_at: str) -> int:
    """A planned call written straight into the table, as a bug or a hand edit would leave it."""
    with transaction(sessions) as session:
        return session.scalar(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "status_id, status_version, state, next_call_at) "
                "VALUES ('lead', :subject, 11, 2, 1, 'planned', CAST(:due AS timestamptz)) "
                "RETURNING id"
            ),
            {"subject": subject_id, "due": due_at},
        )


def timer(sessions, key: str, fire_at: str) -> int:
    with transaction(sessions) as session:
        return session.scalar(
            text(
                "INSERT INTO scheduler.timers (key, fire_at, reply_to, payload, state, set_by, "
                "changed_at) VALUES (:key, CAST(:at AS timestamptz), 'notifier', '{}', "
                "'pending', gen_random_uuid(), now()) RETURNING id"
            ),
            {"key": key, "at": fire_at},
        )


def quarantine(sessions, model) -> dict[int, str]:
    with sessions() as session:
        rows = session.execute(
            select(model.id, model.quarantine_reason).where(model.quarantined_at.is_not(None))
        )
        return dict(rows.all())


TABLES = ("scheduler.call_plans", "scheduler.timers")


def set_aside_count(table: str) -> float:
    """What ``crm_quarantined_rows_total{table}`` shows on this process's /metrics."""
    sample = REGISTRY.get_sample_value("crm_quarantined_rows_total", {"table": table})
    return sample or 0.0


def timers_fired(queues) -> list[dict]:
    return [e for e in dramatiq_envelopes(queues, "notifier") if e["type"] == "TimerFired"]


def a_minute_ago() -> str:
    return (utcnow() - timedelta(minutes=1)).isoformat()


def test_poisoned_plans_and_timers_are_set_aside_and_every_other_row_is_emitted(
    ticker, sessions, queues, events
):
    good_plans = [plan(sessions, n, a_minute_ago()) for n in (1, 2, 3)]
    bad_plan = plan(sessions, 4, YEAR_1)
    good_timers = [timer(sessions, f"reminder:{n}", a_minute_ago()) for n in (1, 2)]
    bad_timer = timer(sessions, "reminder:bad", YEAR_0)

    counted_before = {table: set_aside_count(table) for table in TABLES}
    ticker.tick()
    ticker.tick()  # the rows set aside are not tried again

    # The batch that met the poisoned row may have sent some rows already: they go again
    # under the same message ids, which consumers deduplicate.
    due = {e["message_id"]: e for e in received(queues, events, "CallDue")}.values()
    assert sorted(e["data"]["plan_id"] for e in due) == good_plans
    fired = {e["message_id"]: e for e in timers_fired(queues)}.values()
    assert sorted(e["data"]["key"] for e in fired) == ["reminder:1", "reminder:2"]
    plans, timers = quarantine(sessions, CallPlan), quarantine(sessions, Timer)
    assert list(plans) == [bad_plan] and "int too large" in plans[bad_plan]
    assert list(timers) == [bad_timer] and "year" in timers[bad_timer]
    with sessions() as session:
        assert set(session.scalars(select(Timer.state).where(Timer.id.in_(good_timers)))) == {
            "fired"
        }

    assert {t: set_aside_count(t) - n for t, n in counted_before.items()} == {t: 1 for t in TABLES}

    listed = CliRunner().invoke(crm_ops, ["quarantine", "list"])
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert {(table, int(row_id)) for table, row_id, *_ in lines} == {
        ("scheduler.call_plans", bad_plan),
        ("scheduler.timers", bad_timer),
    }
    assert {reason for *_, reason in lines} == {plans[bad_plan], timers[bad_timer]}


def test_a_released_row_is_tried_again_at_the_next_tick(ticker, sessions, queues, events):
    bad_plan = plan(sessions, 4, YEAR_1)
    ticker.tick()
    assert list(quarantine(sessions, CallPlan)) == [bad_plan]
    with transaction(sessions) as session:  # the operator corrects the row...
        session.execute(
            text("UPDATE scheduler.call_plans SET next_call_at = now() WHERE id = :id"),
            {"id": bad_plan},
        )
    released = CliRunner().invoke(
        crm_ops, ["quarantine", "release", "scheduler.call_plans", str(bad_plan)]
    )
    assert released.exit_code == 0, released.output  # ...and gives it back
    ticker.tick()
    [due] = received(queues, events, "CallDue")
    assert due["data"]["plan_id"] == bad_plan
    assert quarantine(sessions, CallPlan) == {}
    again = CliRunner().invoke(
        crm_ops, ["quarantine", "release", "scheduler.call_plans", str(bad_plan)]
    )
    assert again.exit_code == 1 and "not quarantined" in again.output


def test_the_tick_loop_keeps_running_and_emitting_past_poisoned_rows(
    sessions, broker, scheduler_settings, queues, events, clean_db
):
    plan(sessions, 4, YEAR_1)
    timer(sessions, "reminder:bad", YEAR_0)
    ticker = Ticker(sessions, broker, replace(scheduler_settings, scheduler_max_sleep_seconds=1))
    stop = threading.Event()
    loop = threading.Thread(
        target=ticker.run, args=(stop, libpq_dsn(scheduler_settings.database_url))
    )
    loop.start()
    try:
        eventually(lambda: quarantine(sessions, CallPlan) and quarantine(sessions, Timer))
        # Rows that fall due afterwards still go out, one by one.
        for n in (1, 2):
            good = plan(sessions, 10 + n, a_minute_ago())
            [due] = eventually(lambda: received(queues, events, "CallDue"))
            assert due["data"]["plan_id"] == good
        timer(sessions, "reminder:later", a_minute_ago())
        [fired] = eventually(lambda: timers_fired(queues))
        assert fired["data"]["key"] == "reminder:later"
        assert loop.is_alive()
    finally:
        stop.set()
        with transaction(sessions) as session:
            session.execute(text(f"NOTIFY {CHANNEL}"))
        loop.join(timeout=30)
        ticker.close()


def test_a_timer_scheduled_anew_under_its_key_is_no_longer_set_aside(
    ticker, deliver, sessions, queues
):
    bad = timer(sessions, "reminder:5", YEAR_0)
    ticker.tick()
    assert list(quarantine(sessions, Timer)) == [bad]
    fire_at = utcnow() - timedelta(seconds=1)
    data = {"key": "reminder:5", "fire_at": fire_at.isoformat(), "reply_to": "notifier"}
    deliver("ScheduleTimer", {**data, "payload": {}})
    ticker.tick()
    [fired] = timers_fired(queues)
    assert fired["data"]["key"] == "reminder:5"
    assert quarantine(sessions, Timer) == {}


def test_a_timer_in_year_10000_does_not_keep_the_loop_from_sleeping(ticker, sessions):
    timer(sessions, "reminder:far", "9999-12-31 23:00:00-05")  # 10000-01-01 04:00 UTC
    ticker.tick()
    assert 0 < ticker.seconds_to_next(utcnow()) <= ticker.max_sleep
    assert quarantine(sessions, Timer) == {}  # not due: nothing to set aside yet
