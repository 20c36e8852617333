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
from services.crm.handlers import (
    calls,
    inbox,
    reminders,
    routines,
    subjects,
    task_commands,
    timers,
)
from shared.config import Settings
from shared.consumer import BatchHandler, Handler
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


HANDLERS: dict[str, Handler] = {
    "AssignStatus": partial(subjects.assign_status_command, settings=settings),
    "CallPlanned": calls.on_call_planned,
    "TimerFired": timers.on_timer_fired,
    "RunClassification": partial(classification.on_run_classification, settings=settings),
    "RunRoutine": partial(routines.on_run_routine, settings=settings),
    "ReminderDelivered": reminders.delivered,
    "CreateTask": lambda session, env, command: task_commands.create_from_command(
        session, command, settings
    ),
    # Alone, in the fallback of a group that failed: split into single CreateTask messages.
    "CreateTasks": task_commands.split,
    "DeliverInApp": inbox.deliver_in_app,
}

# The messages of the calling loop, a task or a notification each, come by the hundred a
# second at the top of the hour: they share transactions (shared/group_commit.py).
GROUPED = frozenset({"CreateTask", "CreateTasks", "DeliverInApp", "CallPlanned"})
# Their batch forms: a statement per table for the messages of a type a transaction holds.
BATCHES: dict[str, BatchHandler] = {
    "CreateTask": partial(task_commands.create_from_commands, settings=settings),
    "CreateTasks": partial(task_commands.create_from_batches, settings=settings),
    "DeliverInApp": inbox.deliver_many,
    "CallPlanned": calls.on_calls_planned,
}

# An unknown subject or status will not appear by retrying: dead-letter it with the reason.
handle_message = worker.consumer(
    HANDLERS, InboxMessage, permanent=(DomainError,), grouped=GROUPED, batches=BATCHES
)
