"""The notifier worker's actor: due calls, the directory, reminders, closures, escalations.

Run with ``dramatiq services.notifier.entrypoints.actors --queues notifier``; the outbox
relay and the e-mail/webhook delivery workers are the separate ``notifier`` process.
"""

from __future__ import annotations

from functools import partial

from services.notifier.adapters.orm import InboxMessage
from services.notifier.handlers import calls, directory, escalation, reminders, routines
from shared.consumer import BatchHandler, Handler
from shared.contracts import NOTIFIER
from shared.worker import Worker

worker = Worker("notifier-worker", NOTIFIER)
settings = worker.settings

HANDLERS: dict[str, Handler] = {
    "CallDue": partial(calls.call_due, settings=settings),
    # Alone, in the fallback of a group that failed: split into single CallDue messages.
    "CallsDue": calls.split,
    "EmployeeChanged": directory.employee_changed,
    "ReminderScheduled": reminders.reminder_scheduled,
    "ReminderCancelled": reminders.reminder_cancelled,
    "DocumentClosed": reminders.document_closed,
    "TimerFired": reminders.timer_fired,
    "TaskOverdue": partial(escalation.task_overdue, settings=settings),
    "ClaimOverdue": partial(escalation.claim_overdue, settings=settings),
    "RunRoutine": partial(routines.run_routine, settings=settings),
}

# Due calls come by the hundred a second: they share transactions (shared/group_commit.py),
# in a statement per table for the due calls a transaction holds.
BATCHES: dict[str, BatchHandler] = {
    "CallDue": partial(calls.calls_due, settings=settings),
    "CallsDue": partial(calls.batches_due, settings=settings),
}

# NoAssignee is retried on purpose: the employee directory may still be arriving.
handle_message = worker.consumer(
    HANDLERS,
    InboxMessage,
    permanent=(routines.UnknownRoutine,),
    grouped=frozenset(BATCHES),
    batches=BATCHES,
)
