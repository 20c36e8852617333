"""Periodic routines the scheduler triggers with ``RunRoutine`` on the CRM's queue.

The scheduler decides when (one run per period across its instances); the CRM does
the work inside the consumer's transaction, so a redelivered run changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.orm import InboxMessage, OutboxMessage
from services.crm.analytics.handlers import classification, spans, win_probability
from services.crm.domain.errors import DomainError
from services.crm.handlers.tasks import escalate_overdue
from shared import config, outbox
from shared.db import utcnow
from shared.messages import RunRoutine

log = logging.getLogger(__name__)


class UnknownRoutine(DomainError):
    """A routine name the CRM does not run; dead-lettered, since retrying cannot help."""


def cleanup_messages(
    session: Session, retention_days: int, now: datetime | None = None
) -> dict[str, int]:
    """The CRM's outbox and inbox clean-up."""
    return outbox.cleanup_messages(session, OutboxMessage, InboxMessage, retention_days, now)


ROUTINES: dict[str, Callable[[Session, config.Settings], Any]] = {
    # Document 000: stages, classes and the statuses they call for (replaces stages only).
    "reclassify_buyers": lambda session, settings: classification.run_routine(
        session, settings.classification_keep_runs, settings
    ),
    "cleanup_outbox": lambda session, settings: cleanup_messages(
        session, settings.message_retention_days
    ),
    "escalate_overdue": lambda session, settings: escalate_overdue(
        session, settings.escalate_after_minutes
    ),
    # Win probability of open deals re-fitted on the deals decided since (the funnel's forecast).
    "refit_win_probability": lambda session, settings: win_probability.refit(session),
    # The buyers' spans moved to the new month once it has begun (a no-op the rest of the month).
    "shift_customer_spans": lambda session, settings: spans.shift(session, utcnow().date()),
}


def run_routine(session: Session, routine: str, period: str, settings: config.Settings) -> Any:
    """Run one routine by name; an unknown name raises UnknownRoutine."""
    job = ROUTINES.get(routine)
    if job is None:
        raise UnknownRoutine(f"routine {routine!r} is not run by the CRM")
    log.info("routine started", extra={"routine": routine, "period": period})
    return job(session, settings)


def on_run_routine(
    session: Session, env: dict[str, Any], message: RunRoutine, *, settings: config.Settings
) -> None:
    """RunRoutine: the scheduler's clock says a routine's period has come."""
    run_routine(session, message.routine, message.period, settings)
