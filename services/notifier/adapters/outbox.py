"""The notifier's outbox: commands to the CRM and the scheduler, sent after the commit."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters.orm import OutboxMessage
from shared import outbox
from shared.messages import Message

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
