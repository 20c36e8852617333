"""The CRM worker's actor: commands and events other services send to the CRM.

Run with ``dramatiq services.crm.entrypoints.actors --queues crm``.
"""

from __future__ import annotations

from functools import cache, partial

import dramatiq
import redis
from sqlalchemy.orm import Session, sessionmaker

from services.crm.adapters import live
from services.crm.adapters.orm import InboxMessage
from services.crm.analytics.handlers import classification
from services.crm.domain.errors import DomainError
from services.crm.handlers import calls, inbox, reminders, routines, subjects, tasks, timers
from shared import config, logs
from shared.broker import ensure_broker
from shared.consumer import actor_options, consume
from shared.contracts import CRM
from shared.db import make_engine, make_session_factory

broker = ensure_broker()
# Read once at start; the handlers that need settings are given them (HANDLERS).
settings = config.load()
logs.configure("crm-worker", settings.log_level)


@cache
def sessions() -> sessionmaker[Session]:
    factory = make_session_factory(make_engine(settings.database_url))
    # A notification committed here wakes the recipient's open pages (adapters/live.py).
    live.publish_after_commit(
        factory,
        redis.Redis.from_url(settings.redis_url, socket_timeout=2),
        live.channel(settings.database_url),
    )
    return factory


HANDLERS = {
    "AssignStatus": subjects.assign_status_command,
    "CallPlanned": calls.on_call_planned,
    "TimerFired": timers.on_timer_fired,
    "RunClassification": classification.on_run_classification,
    "RunRoutine": partial(routines.on_run_routine, settings=settings),
    "ReminderDelivered": reminders.delivered,
    "CreateTask": lambda session, env, command: tasks.create_from_command(session, command),
    "DeliverInApp": inbox.deliver_in_app,
}


@dramatiq.actor(**actor_options(CRM))
def handle_message(message: dict) -> None:
    # An unknown subject or status will not appear by retrying: dead-letter it with the reason.
    consume(message, HANDLERS, sessions(), InboxMessage, permanent=(DomainError,))
