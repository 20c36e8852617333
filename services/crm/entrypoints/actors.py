"""The CRM worker's actor: commands and events other services send to the CRM.

Run with ``dramatiq services.crm.entrypoints.actors --queues crm``.
"""

from __future__ import annotations

from functools import partial

import redis
from sqlalchemy.orm import Session, sessionmaker

from services.crm.adapters import live
from services.crm.adapters.orm import InboxMessage
from services.crm.analytics.handlers import classification
from services.crm.domain.errors import DomainError
from services.crm.handlers import calls, inbox, reminders, routines, subjects, tasks, timers
from shared.config import Settings
from shared.contracts import CRM
from shared.worker import Worker


def publish_live(sessions: sessionmaker[Session], settings: Settings) -> None:
    # A notification committed here wakes the recipient's open pages (adapters/live.py).
    live.publish_after_commit(
        sessions,
        redis.Redis.from_url(settings.redis_url, socket_timeout=2),
        live.channel(settings.database_url),
    )


worker = Worker("crm-worker", CRM, on_sessions=publish_live)
settings = worker.settings


def assign_status(session: Session, env: dict, data: dict) -> None:
    """AssignStatus: another system sets a lead's or counterparty's interaction status."""
    subjects.assign_status(
        session,
        None,
        data["subject_kind"],
        data["subject_id"],
        data["status_id"],
        data.get("reason"),
        settings=settings,
    )


HANDLERS = {
    "AssignStatus": assign_status,
    "CallPlanned": calls.on_call_planned,
    "TimerFired": timers.on_timer_fired,
    "RunClassification": partial(classification.on_run_classification, settings=settings),
    "RunRoutine": partial(routines.on_run_routine, settings=settings),
    "ReminderDelivered": reminders.delivered,
    "CreateTask": lambda session, env, data: tasks.create_from_command(session, data, settings),
    "DeliverInApp": lambda session, env, data: inbox.notify(
        session,
        data["key"],
        data["recipient_id"],
        data["text"],
        task_id=data.get("task_id"),
        reminder_id=data.get("reminder_id"),
    ),
}

# An unknown subject or status will not appear by retrying: dead-letter it with the reason.
handle_message = worker.consumer(HANDLERS, InboxMessage, permanent=(DomainError,))
