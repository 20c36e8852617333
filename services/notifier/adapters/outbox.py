"""The notifier's outbox: commands to the CRM and the scheduler, sent after the commit."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters.orm import OutboxMessage
from shared import outbox
from shared.messages import Message
from shared.outbox import row_values as row_values  # the rows of record_many

Relay = partial(outbox.Relay, model=OutboxMessage)


def record(
    session: Session,
    aggregate: str,
    aggregate_id: int | str,
    message: Message,
    *,
    queue: str | None,
    **kwargs: Any,
) -> OutboxMessage:
    """Add one typed command for ``queue`` (or, with None, an event) to the notifier's outbox,
    in the caller's transaction."""
    return outbox.record(
        session, OutboxMessage, aggregate, aggregate_id, message, queue=queue, **kwargs
    )


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add messages to the notifier's outbox in one statement, in the caller's transaction; each
    row as :func:`row_values` makes it."""
    outbox.record_many(session, OutboxMessage, rows)
