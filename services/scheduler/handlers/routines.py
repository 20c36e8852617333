"""The routines the scheduler does itself when its own clock triggers them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.orm import Session

from services.scheduler.adapters.orm import InboxMessage, RoutineRun, Timer
from services.scheduler.domain.timers import PENDING
from shared import config
from shared.db import rowcount, utcnow
from shared.messages import RunRoutine

log = logging.getLogger(__name__)

CLEANUP = "scheduler_cleanup"
# Run records prove "once per period"; a period older than this cannot be claimed again.
RUN_HISTORY = timedelta(days=90)


class UnknownRoutine(Exception):
    """A RunRoutine for a routine this service does not do; retrying will not help."""


def run_routine(
    session: Session, env: dict[str, Any], message: RunRoutine, *, settings: config.Settings
) -> None:
    """RunRoutine: the scheduler's own clean-up of old inbox ids and timer tombstones."""
    if message.routine != CLEANUP:
        raise UnknownRoutine(f"routine {message.routine!r} is not done by the scheduler")
    cleanup(session, timedelta(days=settings.message_retention_days))


def cleanup(session: Session, retention: timedelta) -> dict[str, int]:
    """Delete inbox ids, fired or cancelled timers and run records past their retention."""
    now = utcnow()
    inbox = rowcount(
        session.execute(delete(InboxMessage).where(InboxMessage.processed_at < now - retention))
    )
    timers = rowcount(
        session.execute(
            delete(Timer).where(
                Timer.state != PENDING,
                func.coalesce(Timer.fired_at, Timer.changed_at) < now - retention,
            )
        )
    )
    runs = rowcount(
        session.execute(delete(RoutineRun).where(RoutineRun.started_at < now - RUN_HISTORY))
    )
    counts = {"inbox": inbox, "timers": timers, "routine_runs": runs}
    log.info("scheduler cleanup", extra=counts)
    return counts
