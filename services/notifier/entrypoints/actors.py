"""The notifier worker's actor: due calls, the directory, reminders, closures, escalations.

Run with ``dramatiq services.notifier.entrypoints.actors --queues notifier``; the outbox
relay and the e-mail/webhook delivery workers are the separate ``notifier`` process.
"""

from __future__ import annotations

from functools import cache, partial

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from services.notifier.adapters.orm import InboxMessage
from services.notifier.handlers import calls, directory, escalation, reminders, routines
from shared import config, logs
from shared.broker import ensure_broker
from shared.consumer import actor_options, consume
from shared.contracts import NOTIFIER
from shared.db import make_engine, make_session_factory

broker = ensure_broker()
# Read once at start; the handlers that need settings are given them (HANDLERS).
settings = config.load()
logs.configure("notifier-worker", settings.log_level)


@cache
def sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings.database_url))


HANDLERS = {
    "CallDue": partial(calls.call_due, settings=settings),
    "EmployeeChanged": directory.employee_changed,
    "ReminderScheduled": reminders.reminder_scheduled,
    "ReminderCancelled": reminders.reminder_cancelled,
    "DocumentClosed": reminders.document_closed,
    "TimerFired": reminders.timer_fired,
    "TaskOverdue": partial(escalation.task_overdue, settings=settings),
    "ClaimOverdue": partial(escalation.claim_overdue, settings=settings),
    "RunRoutine": partial(routines.run_routine, settings=settings),
}


# NoAssignee is retried on purpose: the employee directory may still be arriving.
@dramatiq.actor(**actor_options(NOTIFIER))
def handle_message(message: dict) -> None:
    consume(message, HANDLERS, sessions(), InboxMessage, permanent=(routines.UnknownRoutine,))
