"""The notifier worker's actor: due calls, the directory, reminders, closures, escalations.

Run with ``dramatiq services.notifier.entrypoints.actors --queues notifier``; the outbox
relay and the e-mail/webhook delivery workers are the separate ``notifier`` process.
"""

from __future__ import annotations

from functools import cache

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
logs.configure("notifier-worker", config.load().log_level)


@cache
def sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(config.load().database_url))


HANDLERS = {
    "CallDue": calls.call_due,
    "EmployeeChanged": directory.employee_changed,
    "ReminderScheduled": reminders.reminder_scheduled,
    "ReminderCancelled": reminders.reminder_cancelled,
    "DocumentClosed": reminders.document_closed,
    "TimerFired": reminders.timer_fired,
    "TaskOverdue": escalation.task_overdue,
    "ClaimOverdue": escalation.claim_overdue,
    "RunRoutine": routines.run_routine,
}


# NoAssignee is retried on purpose: the employee directory may still be arriving.
@dramatiq.actor(**actor_options(NOTIFIER))
def handle_message(message: dict) -> None:
    consume(message, HANDLERS, sessions(), InboxMessage, permanent=(routines.UnknownRoutine,))
