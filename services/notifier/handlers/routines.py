"""Routines the scheduler triggers on the notifier's queue: its clean-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from services.notifier.adapters.orm import CallAssignment, InboxMessage, OutboxMessage
from shared import config, outbox
from shared.db import utcnow
from shared.messages import RunRoutine

CLEANUP = "notifier_cleanup"


class UnknownRoutine(Exception):
    """A RunRoutine the notifier does not do; dead-lettered, since retrying cannot help."""


def run_routine(
    session: Session, env: dict[str, Any], message: RunRoutine, *, settings: config.Settings
) -> None:
    """RunRoutine: delete published outbox rows, old inbox ids and old call assignments."""
    if message.routine != CLEANUP:
        raise UnknownRoutine(f"routine {message.routine!r} is not done by the notifier")
    days = settings.message_retention_days
    outbox.cleanup_messages(session, OutboxMessage, InboxMessage, days)
    # An assignment only guards against a re-emitted due call, which comes within minutes.
    session.execute(
        delete(CallAssignment).where(CallAssignment.created_at < utcnow() - timedelta(days=days))
    )
