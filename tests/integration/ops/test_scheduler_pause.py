"""Pausing the scheduler: nothing is emitted while paused, what fell due goes out on resume."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from prometheus_client import REGISTRY, generate_latest

from services.scheduler.adapters.orm import CallPlan
from services.scheduler.adapters.ticker import Ticker
from shared.contracts import NOTIFIER
from shared.db import transaction, utcnow
from tests.helpers import bind_events, drain_queue


def test_a_paused_scheduler_emits_nothing_and_emits_what_fell_due_once_resumed(
    ops, service_queues, broker, sessions, settings, clean_db
):
    with transaction(sessions) as session:
        session.add(
            CallPlan(
                subject_kind="lead",
                subject_id=7,
                responsible_id=3,
                status_id=1,
                status_version=1,
                interval_days=3,
                next_call_at=utcnow() - timedelta(minutes=1),
                state="planned",
            )
        )
    events = bind_events(service_queues, settings.events_exchange, "call_plan.#")
    ticker = Ticker(sessions, broker, replace(settings, scheduler_routines=""))
    try:
        paused_then_resumed(ops, ticker, service_queues, events)
    finally:
        ticker.close()


def paused_then_resumed(ops, ticker, service_queues, events) -> None:
    assert "paused since" in ops("pause-scheduler", "--reason", "incident 42").stdout
    assert ticker.tick() == 0
    assert drain_queue(service_queues, NOTIFIER) == []
    assert drain_queue(service_queues, events) == []
    scraped = generate_latest(REGISTRY).decode()
    assert "scheduler_paused 1.0" in scraped
    assert 'scheduler_due_backlog{kind="call"} 1.0' in scraped

    assert ops("resume-scheduler").stdout.strip() == "scheduler resumed"
    assert ticker.tick() == 1
    due = [body["args"][0] for _, _, body in drain_queue(service_queues, NOTIFIER)]
    assert [(d["type"], [c["subject_id"] for c in d["data"]["calls"]]) for d in due] == [
        ("CallsDue", [7])
    ]
    assert "scheduler_paused 0.0" in generate_latest(REGISTRY).decode()
