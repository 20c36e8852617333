"""The scheduler on the run's database and vhost: deliver events, tick the clock, read output."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from services.scheduler.adapters.orm import InboxMessage
from services.scheduler.adapters.ticker import Ticker
from shared.consumer import consume
from shared.contracts import envelope
from tests.helpers import bind_events

SERVICE_QUEUES = ("crm", "notifier", "scheduler")


@pytest.fixture()
def scheduler_settings(settings):
    return replace(settings, scheduler_batch_size=50, scheduler_routines="")


@pytest.fixture()
def queues(broker, amqp):
    """The services' queues, declared as dramatiq declares them and emptied before the test."""
    for name in SERVICE_QUEUES:
        broker.declare_queue(name, ensure=True)
        amqp.queue_purge(name)
    return amqp


@pytest.fixture()
def events(queues, settings):
    """A queue bound to every ``call_plan.*`` event, as the CRM or another system would bind."""
    return bind_events(queues, settings.events_exchange, "call_plan.#")


@pytest.fixture()
def ticker(sessions, broker, scheduler_settings, clean_db, queues):
    ticker = Ticker(sessions, broker, scheduler_settings)
    yield ticker
    ticker.close()


@pytest.fixture()
def deliver(sessions, broker, clean_db):
    """Hand an envelope to the scheduler's consumer as the worker would; returns it."""
    from services.scheduler.entrypoints.actors import HANDLERS

    def send(type_: str, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        env = envelope(type_, data, **kwargs)
        consume(json.loads(json.dumps(env)), HANDLERS, sessions, InboxMessage)
        return env

    return send
