"""The calling loop under faults: leads whose calls fall due at once, reminders due in seconds,
and the check that every one of them had exactly one effect."""

from __future__ import annotations

import json
import random
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select, text

from services.crm.adapters.orm import InteractionStatus
from services.crm.adapters.work import Notification, Reminder, Task
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import leads, reference, reminders
from services.scheduler.adapters.orm import CallPlan
from shared import config
from shared.containment import is_transient
from shared.db import transaction, utcnow
from tests import factories
from tests.helpers import eventually

PIPELINE = {
    "plans due (scheduler)": "SELECT count(*) FROM scheduler.call_plans WHERE state = 'due'",
    "calls assigned (notifier)": "SELECT count(*) FROM notifier.call_assignments",
    "pending in notifier outbox": "SELECT count(*) FROM notifier.outbox WHERE published_at IS NULL",
    "pending in crm outbox": "SELECT count(*) FROM crm.outbox WHERE published_at IS NULL",
    "tasks (crm)": "SELECT count(*) FROM crm.tasks",
}
# The due calls that have no assignee yet, as the scheduler saw them.
UNASSIGNED = (
    select(*CallPlan.__table__.columns)
    .where(CallPlan.state == "due")
    .where(
        text("NOT EXISTS (SELECT FROM notifier.call_assignments a WHERE a.plan_id = call_plans.id)")
    )
)
CHANNELS = ("in_app", "email", "webhook")


@contextmanager
def where_it_stopped(sessions, system):
    """On a timeout, say how far the due calls got through the pipeline, and show the logs."""
    try:
        yield
    except AssertionError:
        with sessions() as session:
            counts = {name: session.scalar(text(sql)) for name, sql in PIPELINE.items()}
            unassigned = {row.id: row.next_call_at for row in session.execute(UNASSIGNED)}
        for name, service in system.services.items():
            print(f"--- {name} ({service.log_path}):\n{service.logs()[-2000:]}")
        vhost = unquote(urlsplit(system.env["BROKER_URL"]).path.lstrip("/")) or "/"
        queues = subprocess.run(
            [
                "rabbitmqctl",
                "-q",
                "list_queues",
                "-p",
                vhost,
                "name",
                "messages_ready",
                "messages_unacknowledged",
                "consumers",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        print(f"--- due calls not assigned (plan: due at): {unassigned}")
        print(f"--- queues:\n{queues}")
        raise AssertionError(f"pipeline stopped at {counts}") from None


class Loop:
    """A manager reached on every channel, and a status that asks for a call at once."""

    def __init__(self, sessions, webhook):
        self.sessions = sessions
        self.produced = 0  # subjects committed so far
        self.manager_id, _ = factories.employee(
            sessions,
            "manager",
            department="Sales",
            channels=list(CHANNELS),
            webhook_url=f"{webhook.url}/hooks/manager",
        )
        admin = Actor(factories.employee(sessions, "admin")[0], Role.ADMIN)
        with transaction(sessions) as session:
            self.status_id = reference.create_entry(
                session,
                admin,
                InteractionStatus,
                {"name": "Call now", "call_interval_days": 0, "generate_calls": True},
            ).id

    def produce(
        self, subjects: int, reminders_every: int, pause: float, reminders_within: float = 15
    ) -> None:
        """Leads whose call is due at once, and every few a reminder due within seconds."""
        manager, settings = Actor(self.manager_id, Role.MANAGER), config.load()
        for n in range(subjects):
            self._retried(
                lambda session, n=n: leads.create_lead(
                    session,
                    manager,
                    {
                        "name": f"Subject {n}",
                        "responsible_id": self.manager_id,
                        "status_id": self.status_id,
                    },
                    settings,
                )
            )
            self.produced += 1
            if n % reminders_every == 0:
                at = utcnow() + timedelta(seconds=random.uniform(1, reminders_within))
                self._retried(
                    lambda session, n=n, at=at: reminders.schedule(
                        session, self.manager_id, f"Reminder {n}", at
                    )
                )
            time.sleep(pause)

    def _retried(self, work) -> None:
        # What a person would do when a request fails because the database went away.
        while True:
            try:
                with transaction(self.sessions) as session:
                    work(session)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                time.sleep(0.2)

    def count(self, stmt) -> int:
        with self.sessions() as session:
            return session.scalar(stmt)

    def tasks(self) -> int:
        return self.count(select(func.count()).select_from(Task))

    def assert_each_once(self, system, smtp, webhook, subjects: int, reminders: int) -> None:
        """Every due call gave one task, every reminder one delivery on each channel."""
        sessions = self.sessions
        with where_it_stopped(sessions, system):
            eventually(lambda: self.tasks() >= subjects, timeout=120)
        in_app = (
            select(func.count())
            .select_from(Notification)
            .where(Notification.reminder_id.is_not(None))
        )
        eventually(lambda: self.count(in_app) >= reminders, timeout=120)
        time.sleep(3)  # anything late and duplicated would land now

        with sessions() as session:
            per_subject = session.execute(
                select(Task.subject_id, func.count())
                .where(Task.kind == "call")
                .group_by(Task.subject_id)
            ).all()
            assert len(per_subject) == subjects
            assert {n for _, n in per_subject} == {1}, "exactly one task per due call"
            delivered = session.execute(
                select(Notification.reminder_id, func.count())
                .where(Notification.reminder_id.is_not(None))
                .group_by(Notification.reminder_id)
            ).all()
            assert (
                len(delivered)
                == session.scalar(select(func.count()).select_from(Reminder))
                == reminders
            )
            assert {n for _, n in delivered} == {1}, "exactly one in-app delivery per reminder"

        # E-mail and webhook: one delivery logged per reminder and channel, and each received;
        # a copy re-sent by a fault between the receiver's accept and the log's commit keeps
        # its key.
        keys = {f"reminder:{r}" for r, _ in delivered}
        eventually(lambda: {m["X-Notification-Key"] for m in smtp.messages} >= keys, timeout=120)
        eventually(
            lambda: {json.loads(r["body"])["notification"] for r in webhook.requests} >= keys,
            timeout=120,
        )
        with sessions() as session:
            log = session.execute(
                text(
                    "SELECT channel, count(*), count(DISTINCT notification) "
                    "FROM notifier.deliveries WHERE state = 'delivered' "
                    "AND notification LIKE 'reminder:%' GROUP BY channel"
                )
            ).all()
        assert {channel: (n, distinct) for channel, n, distinct in log} == {
            channel: (reminders, reminders) for channel in CHANNELS
        }
        assert len({m["Message-ID"] for m in smtp.messages}) == reminders
