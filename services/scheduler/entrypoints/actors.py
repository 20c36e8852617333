"""The scheduler worker's actor: events and commands that change plans and timers.

Run with ``dramatiq services.scheduler.entrypoints.actors --queues scheduler``; the tick
loop that emits what is due is the separate ``scheduler`` process.
"""

from __future__ import annotations

from functools import cache, partial

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.orm import InboxMessage
from services.scheduler.handlers import plans, routines, timers
from shared import config, logs
from shared.broker import ensure_broker
from shared.consumer import actor_options, consume
from shared.contracts import SCHEDULER
from shared.db import make_engine, make_session_factory

broker = ensure_broker()
# Read once at start; the handlers that need settings are given them (HANDLERS).
settings = config.load()
logs.configure("scheduler-worker", settings.log_level)


@cache
def sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings.database_url))


HANDLERS = {
    "StatusAssigned": plans.status_assigned,
    "InteractionStatusChanged": plans.status_changed,
    "ResponsibleChanged": plans.responsible_changed,
    "EmployeeChanged": plans.employee_changed,
    "WorkingCalendarChanged": plans.calendar_changed,
    "SubjectArchived": plans.subject_archived,
    "LeadConverted": plans.lead_converted,
    "CallCompleted": plans.call_completed,
    "RescheduleCall": plans.reschedule_call,
    "ScheduleTimer": timers.schedule_timer,
    "CancelTimer": timers.cancel_timer,
    "RunRoutine": partial(routines.run_routine, settings=settings),
}


@dramatiq.actor(**actor_options(SCHEDULER))
def handle_message(message: dict) -> None:
    # A routine the scheduler does not do will not appear by retrying: dead-letter it.
    consume(message, HANDLERS, sessions(), InboxMessage, permanent=(routines.UnknownRoutine,))
