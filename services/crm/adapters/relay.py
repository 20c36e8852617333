"""The CRM's outbox relay: the shared relay bound to the crm.outbox table."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from services.crm.adapters.orm import OutboxMessage
from shared import outbox

Relay = partial(outbox.Relay, model=OutboxMessage)


def pending_count(session: Session) -> int:
    """Rows the relay has not published yet."""
    return session.query(OutboxMessage).filter(OutboxMessage.published_at.is_(None)).count()
