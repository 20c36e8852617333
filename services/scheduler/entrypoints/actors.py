"""The scheduler worker's actor: events and commands that change plans and timers.

Run with ``dramatiq services.scheduler.entrypoints.actors --queues scheduler``; the tick
loop that emits what is due is the separate ``scheduler`` process.
"""

from __future__ import annotations

from functools import partial

from services.scheduler.adapters.orm import InboxMessage
from services.scheduler.handlers import plans, routines, timers
from shared.consumer import Handler
from shared.contracts import SCHEDULER
from shared.worker import Worker

worker = Worker("scheduler-worker", SCHEDULER)
settings = worker.settings

HANDLERS: dict[str, Handler] = {
    "StatusAssigned": partial(plans.status_assigned, settings=settings),
    "InteractionStatusChanged": plans.status_changed,
    "ResponsibleChanged": partial(plans.responsible_changed, settings=settings),
    "EmployeeChanged": partial(plans.employee_changed, settings=settings),
    "WorkingCalendarChanged": partial(plans.calendar_changed, settings=settings),
    "SubjectArchived": plans.subject_archived,
    "LeadConverted": plans.lead_converted,
    "CallCompleted": partial(plans.call_completed, settings=settings),
    "RescheduleCall": plans.reschedule_call,
    "ScheduleTimer": timers.schedule_timer,
    "CancelTimer": timers.cancel_timer,
    "RunRoutine": partial(routines.run_routine, settings=settings),
}

# A routine the scheduler does not do will not appear by retrying: dead-letter it.
handle_message = worker.consumer(HANDLERS, InboxMessage, permanent=(routines.UnknownRoutine,))
