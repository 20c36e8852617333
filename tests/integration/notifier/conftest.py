"""The notifier on the run's database and vhost: its actor in a real dramatiq worker, its
delivery workers in a thread, and local SMTP and webhook receivers."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from services.notifier.adapters.delivery_worker import DeliveryWorker
from services.notifier.adapters.orm import Delivery, Employee, OutboxMessage
from shared.contracts import NOTIFIER, envelope
from shared.db import libpq_dsn, utcnow
from shared.publisher import to_queue
from tests.helpers import clean_broker, eventually, running_worker
from tests.integration.notifier.sinks import SmtpSink, WebhookServer

WEBHOOK_SECRET = "test-webhook-secret"
_markers = itertools.count(900_000)


@pytest.fixture(scope="module")
def worker(broker):
    """The notifier's actor consuming the run's "notifier" queue, one message at a time."""
    with running_worker(broker, NOTIFIER) as worker:
        yield worker


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def webhooks():
    server = WebhookServer().start()
    yield server
    server.stop()


class Notifier:
    """Sends messages to the notifier's queue as the CRM and the scheduler do, and reads back."""

    def __init__(self, broker, sessions):
        self.broker, self.sessions = broker, sessions

    def send(self, type_: str, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        env = envelope(type_, data, **kwargs)
        self.resend(env)
        return env

    def resend(self, env: dict[str, Any]) -> None:
        to_queue(self.broker, NOTIFIER, env)

    def settle(self) -> None:
        """Wait until everything sent so far is consumed: the worker takes messages in order."""
        marker = next(_markers)
        self.send("EmployeeChanged", employee(marker, role="marker", active=False))
        eventually(lambda: self._get(Employee, marker))

    def _get(self, model, key):
        with self.sessions() as session:
            return session.get(model, key)

    def employees(self, *people: dict[str, Any]) -> None:
        for person in people:
            self.send("EmployeeChanged", person)
        self.settle()

    def outbox(self, type_: str) -> list[OutboxMessage]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.type == type_)
                    .order_by(OutboxMessage.id)
                )
            )

    def tasks(self) -> list[dict]:
        """The CreateTask data of every task asked of the CRM, in order, whatever batch
        (CreateTasks) each went in."""
        return [task for row in self.outbox("CreateTasks") for task in row.data["tasks"]]

    def deliveries(self, notification: str | None = None) -> list[Delivery]:
        stmt = select(Delivery).order_by(Delivery.channel)
        if notification:
            stmt = stmt.where(Delivery.notification == notification)
        with self.sessions() as session:
            return list(session.scalars(stmt))


@pytest.fixture()
def notifier(worker, broker, sessions, clean_db) -> Notifier:
    broker.declare_queue(NOTIFIER, ensure=True)
    clean_broker(broker)
    return Notifier(broker, sessions)


@pytest.fixture()
def delivery_workers(settings, sessions, smtp, clean_db):
    """The notifier process's e-mail/webhook workers, with short backoffs for the test."""
    test_settings = replace(
        settings,
        smtp_port=smtp.port,
        webhook_secret=WEBHOOK_SECRET,
        delivery_workers=2,
        delivery_max_attempts=4,
        delivery_backoff_seconds=0.1,
        delivery_backoff_max_seconds=0.3,
    )
    stop = threading.Event()
    workers = DeliveryWorker(sessions, test_settings)
    thread = threading.Thread(target=workers.run, args=(stop, libpq_dsn(settings.database_url)))
    thread.start()
    yield workers
    stop.set()
    thread.join()


def employee(employee_id: int, **fields: Any) -> dict[str, Any]:
    """The data of an EmployeeChanged event as the CRM writes it."""
    return {
        "employee_id": employee_id,
        "name": f"Employee {employee_id}",
        "email": f"e{employee_id}@example.com",
        "role": "manager",
        "department": "Sales",
        "timezone": "Europe/Berlin",
        "active": True,
        "channels": ["in_app"],
        "webhook_url": None,
        "webhook_secret_version": 1,
        **fields,
    }


def reminder(reminder_id: int, recipient_id: int, remind_at: datetime | None = None, **fields):
    """The data of a ReminderScheduled event as the CRM writes it."""
    return {
        "reminder_id": reminder_id,
        "recipient_id": recipient_id,
        "text": f"Call back about order {reminder_id}",
        "basis_kind": "task",
        "basis_id": reminder_id * 10,
        "remind_at": (remind_at or utcnow()).isoformat(),
        **fields,
    }


def timer_fired(reminder_data: dict[str, Any]) -> dict[str, Any]:
    """The TimerFired the scheduler sends back for a reminder's timer."""
    return {
        "key": f"reminder:{reminder_data['reminder_id']}",
        "fire_at": reminder_data["remind_at"],
        "fired_at": utcnow().isoformat(),
        "payload": {"reminder_id": reminder_data["reminder_id"]},
    }
