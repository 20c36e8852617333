"""Writing domain events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.orm import OutboxMessage
from shared.contracts import envelope
from shared.db import utcnow


def record(
    session: Session,
    aggregate: str,
    aggregate_id: int | str,
    type_: str,
    data: dict[str, Any],
    occurred_at: datetime | None = None,
) -> OutboxMessage:
    """Add one event to the outbox; it is published after the transaction commits.

    The payload is checked against its contract here, so a bad event fails the
    business transaction instead of reaching consumers.
    """
    occurred_at = occurred_at or utcnow()
    env = envelope(type_, data, message_id=uuid.uuid4(), occurred_at=occurred_at)
    row = OutboxMessage(
        message_id=uuid.UUID(env["message_id"]),
        aggregate=aggregate,
        aggregate_id=str(aggregate_id),
        type=env["type"],
        version=env["version"],
        occurred_at=occurred_at,
        data=env["data"],
    )
    session.add(row)
    return row


def to_envelope(row: OutboxMessage) -> dict[str, Any]:
    """The published form of an outbox row: the same envelope every time it is sent."""
    return {
        "message_id": str(row.message_id),
        "type": row.type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat(),
        "data": row.data,
    }
