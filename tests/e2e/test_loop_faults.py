"""Every process of the system killed with SIGKILL at random moments during a run of 200
subjects: after restarts, every due call produced exactly one task and every reminder
exactly one delivery."""

from __future__ import annotations

import json
import random
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from services.crm.adapters.orm import InteractionStatus
from services.crm.adapters.work import Notification, Reminder, Task
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import leads, reference, reminders
from shared.db import transaction, utcnow
from tests import factories
from tests.e2e.conftest import ALL
from tests.helpers import eventually
from tests.integration.notifier.sinks import SmtpSink, WebhookServer

SUBJECTS = 200
REMINDERS = 40


PIPELINE = {
    "plans due (scheduler)": "SELECT count(*) FROM scheduler.call_plans WHERE state = 'due'",
    "calls assigned (notifier)": "SELECT count(*) FROM notifier.call_assignments",
    "pending in notifier outbox": "SELECT count(*) FROM notifier.outbox WHERE published_at IS NULL",
    "pending in crm outbox": "SELECT count(*) FROM crm.outbox WHERE published_at IS NULL",
    "tasks (crm)": "SELECT count(*) FROM crm.tasks",
}


@contextmanager
def where_it_stopped(sessions, system):
    """On a timeout, say how far the due calls got through the pipeline, and show the logs."""
    try:
        yield
    except AssertionError:
        with sessions() as session:
            counts = {name: session.scalar(text(sql)) for name, sql in PIPELINE.items()}
        for name, service in system.services.items():
            print(f"--- {name}:\n{service.logs()[-2000:]}")
        raise AssertionError(f"pipeline stopped at {counts}") from None


@pytest.fixture()
def sinks():
    smtp, webhook = SmtpSink().start(), WebhookServer().start()
    yield smtp, webhook
    smtp.stop()
    webhook.stop()


def test_random_kills_lose_and_duplicate_nothing(system, sessions, sinks):
    smtp, webhook = sinks
    system.env.update(SMTP_PORT=str(smtp.port), DELIVERY_BACKOFF_SECONDS="0.2")
    system.start(*ALL)
    manager_id, _ = factories.employee(
        sessions,
        "manager",
        department="Sales",
        channels=["in_app", "email", "webhook"],
        webhook_url=f"{webhook.url}/hooks/manager",
    )
    admin = Actor(factories.employee(sessions, "admin")[0], Role.ADMIN)
    manager = Actor(manager_id, Role.MANAGER)
    with transaction(sessions) as session:
        status = reference.create_entry(
            session,
            admin,
            InteractionStatus,
            {
                "name": "Call now",
                "call_interval_days": 0,
                "generate_calls": True,
            },
        )

    def produce():
        for n in range(SUBJECTS):
            with transaction(sessions) as session:
                leads.create_lead(
                    session,
                    manager,
                    {
                        "name": f"Subject {n}",
                        "responsible_id": manager_id,
                        "status_id": status.id,
                    },
                )
            if n % (SUBJECTS // REMINDERS) == 0:
                with transaction(sessions) as session:
                    reminders.schedule(
                        session,
                        manager_id,
                        f"Reminder {n}",
                        utcnow() + timedelta(seconds=random.uniform(1, 15)),
                    )
            time.sleep(0.05)

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(2026)
    deadline = time.monotonic() + 25
    killed = []
    while time.monotonic() < deadline or producer.is_alive():
        # Rounds in a random order, so every process dies at least once at a random moment.
        for name in rng.sample(ALL, len(ALL)):
            time.sleep(rng.uniform(0.2, 1.5))
            system.restart(name)
            killed.append(name)
    producer.join()

    def count(stmt):
        with sessions() as session:
            return session.scalar(stmt)

    with where_it_stopped(sessions, system):
        eventually(lambda: count(select(func.count()).select_from(Task)) >= SUBJECTS, timeout=120)
    eventually(
        lambda: (
            count(
                select(func.count())
                .select_from(Notification)
                .where(Notification.reminder_id.is_not(None))
            )
            >= REMINDERS
        ),
        timeout=120,
    )
    time.sleep(3)  # anything late and duplicated would land now

    with sessions() as session:
        per_subject = session.execute(
            select(Task.subject_id, func.count())
            .where(Task.kind == "call")
            .group_by(Task.subject_id)
        ).all()
        assert len(per_subject) == SUBJECTS
        assert {n for _, n in per_subject} == {1}, "exactly one task per due call"
        delivered = session.execute(
            select(Notification.reminder_id, func.count())
            .where(Notification.reminder_id.is_not(None))
            .group_by(Notification.reminder_id)
        ).all()
        assert (
            len(delivered)
            == session.scalar(select(func.count()).select_from(Reminder))
            == REMINDERS
        )
        assert {n for _, n in delivered} == {1}, "exactly one in-app delivery per reminder"

    # E-mail and webhook: one delivery logged per reminder and channel, and each received;
    # a copy re-sent by a kill between the receiver's accept and the log's commit keeps its key.
    keys = {f"reminder:{r}" for r, _ in delivered}
    eventually(lambda: {m["X-Notification-Key"] for m in smtp.messages} >= keys, timeout=120)
    eventually(
        lambda: {json.loads(r["body"])["notification"] for r in webhook.requests} >= keys,
        timeout=120,
    )
    with sessions() as session:
        log = session.execute(
            text(
                "SELECT channel, count(*), count(DISTINCT notification) FROM notifier.deliveries "
                "WHERE state = 'delivered' AND notification LIKE 'reminder:%' GROUP BY channel"
            )
        ).all()
    assert {channel: (n, distinct) for channel, n, distinct in log} == {
        channel: (REMINDERS, REMINDERS) for channel in ("in_app", "email", "webhook")
    }
    assert len({m["Message-ID"] for m in smtp.messages}) == REMINDERS
