"""Writing the CRM's domain events into its outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.orm import OutboxMessage
from shared import outbox
from shared.messages import Message
from shared.outbox import row_values as row_values  # the rows of record_many


def record(
    session: Session,
    aggregate: str,
    aggregate_id: int | str,
    message: Message,
    occurred_at: datetime | None = None,
    **kwargs: Any,
) -> OutboxMessage:
    """Add one typed event (or, with ``queue=``, one command) to the CRM outbox."""
    return outbox.record(
        session,
        OutboxMessage,
        aggregate,
        aggregate_id,
        message,
        occurred_at=occurred_at,
        **kwargs,
    )


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add messages to the CRM outbox in one statement, in the caller's transaction; each
    row as :func:`row_values` makes it."""
    outbox.record_many(session, OutboxMessage, rows)
