"""Writing the CRM's domain events into its outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.orm import OutboxMessage
from shared import outbox


def record(
    session: Session,
    aggregate: str,
    aggregate_id: int | str,
    type_: Any,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    **kwargs: Any,
) -> OutboxMessage:
    """Add one event (or, with ``queue=``, one command) to the CRM outbox: a type and its
    data, or a typed message of ``shared.messages``."""
    return outbox.record(
        session,
        OutboxMessage,
        aggregate,
        aggregate_id,
        type_,
        data,
        occurred_at=occurred_at,
        **kwargs,
    )
