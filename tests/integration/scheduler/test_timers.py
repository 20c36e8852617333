"""One-shot timers: fired to the requester's queue, replaced by key, cancelled, woken early."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from services.scheduler.adapters.orm import Timer
from services.scheduler.adapters.ticker import CHANNEL, Ticker
from shared.db import libpq_dsn, transaction, utcnow
from tests.helpers import eventually
from tests.integration.scheduler.support import dramatiq_envelopes, utc

T0 = utc(2026, 11, 26, 10, 0)


def schedule(deliver, key, fire_at, payload=None, reply_to="notifier", sent_at=None):
    data = {
        "key": key,
        "fire_at": fire_at.isoformat(),
        "reply_to": reply_to,
        "payload": payload or {},
    }
    return deliver("ScheduleTimer", data, occurred_at=sent_at)


def test_a_timer_fires_once_to_the_requesters_queue_with_its_payload(deliver, ticker, queues):
    schedule(deliver, "reminder:5", T0, {"reminder_id": 5}, reply_to="crm")
    ticker.tick(now=T0 - timedelta(seconds=1))
    assert dramatiq_envelopes(queues, "crm") == []

    ticker.tick(now=T0)
    ticker.tick(now=T0 + timedelta(minutes=1))
    [fired] = dramatiq_envelopes(queues, "crm")
    assert fired["type"] == "TimerFired"
    assert fired["data"]["key"] == "reminder:5"
    assert fired["data"]["payload"] == {"reminder_id": 5}
    assert fired["data"]["fire_at"] == T0.isoformat()


def test_scheduling_the_same_key_again_replaces_the_timer(deliver, ticker, queues):
    schedule(deliver, "reminder:5", T0, {"n": 1})
    schedule(deliver, "reminder:5", T0 + timedelta(minutes=5), {"n": 2})
    ticker.tick(now=T0 + timedelta(minutes=1))
    assert dramatiq_envelopes(queues, "notifier") == []
    ticker.tick(now=T0 + timedelta(minutes=5))
    [fired] = dramatiq_envelopes(queues, "notifier")
    assert fired["data"]["payload"] == {"n": 2}


def test_a_cancelled_timer_never_fires_even_if_an_older_schedule_arrives_late(
    deliver, ticker, queues
):
    now = utcnow()
    schedule(deliver, "reminder:5", T0, sent_at=now - timedelta(seconds=10))
    deliver("CancelTimer", {"key": "reminder:5"}, occurred_at=now)
    schedule(deliver, "reminder:5", T0, sent_at=now - timedelta(seconds=5))  # redelivered late
    deliver("CancelTimer", {"key": "never-scheduled"})
    ticker.tick(now=T0 + timedelta(hours=1))
    assert dramatiq_envelopes(queues, "notifier") == []


def test_a_fired_timer_can_be_scheduled_again_under_its_key(deliver, ticker, queues, sessions):
    schedule(deliver, "reminder:5", T0)
    ticker.tick(now=T0)
    schedule(deliver, "reminder:5", T0 + timedelta(minutes=5))
    ticker.tick(now=T0 + timedelta(minutes=5))
    first, second = dramatiq_envelopes(queues, "notifier")
    assert first["message_id"] != second["message_id"]
    with sessions() as session:
        assert session.scalar(select(Timer.state)) == "fired"


@pytest.fixture()
def running_loop(sessions, broker, scheduler_settings, queues, clean_db):
    """The tick loop in a thread, told it may sleep an hour when nothing is due."""
    settings = replace(scheduler_settings, scheduler_max_sleep_seconds=3600)
    ticker = Ticker(sessions, broker, settings)
    stop = threading.Event()
    thread = threading.Thread(target=ticker.run, args=(stop, libpq_dsn(settings.database_url)))
    thread.start()
    yield
    stop.set()
    with transaction(sessions) as session:  # wake the sleeping loop so that it sees the stop
        session.execute(text(f"NOTIFY {CHANNEL}"))
    thread.join(timeout=30)
    ticker.close()


def test_the_loop_sleeping_for_an_hour_is_woken_by_a_new_timer_and_fires_it(
    running_loop, deliver, queues
):
    fire_at = utcnow() + timedelta(seconds=1)
    schedule(deliver, "soon", fire_at, {"n": 1})
    [fired] = eventually(lambda: dramatiq_envelopes(queues, "notifier"), timeout=20)
    assert fired["data"]["key"] == "soon"
