"""Rows set aside by the services because they could never be processed (shared/containment).

An operator lists them with their reason, fixes the cause (or the row), and releases them:
the row is then taken by the next tick or relay batch like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from services.crm.adapters.orm import OutboxMessage as CrmOutbox
from services.notifier.adapters.orm import OutboxMessage as NotifierOutbox
from services.scheduler.adapters.orm import CallPlan, Timer
from services.scheduler.adapters.ticker import CHANNEL as SCHEDULER_WAKEUP
from shared.containment import Quarantinable, not_quarantined
from shared.db import rowcount

# Table name -> (model, the channel whose NOTIFY makes its loop look again at once).
TABLES: dict[str, tuple[type[Quarantinable], str]] = {
    "scheduler.call_plans": (CallPlan, SCHEDULER_WAKEUP),
    "scheduler.timers": (Timer, SCHEDULER_WAKEUP),
    "crm.outbox": (CrmOutbox, "crm_outbox"),
    "notifier.outbox": (NotifierOutbox, "notifier_outbox"),
}


@dataclass(frozen=True)
class Quarantined:
    table: str
    id: int
    at: datetime
    reason: str


def listed(session: Session) -> list[Quarantined]:
    """Every row set aside, oldest first."""
    rows = [
        Quarantined(table, row_id, at, reason or "")
        for table, (model, _) in TABLES.items()
        for row_id, at, reason in session.execute(
            select(model.id, model.quarantined_at, model.quarantine_reason).where(
                ~not_quarantined(model)
            )
        )
    ]
    return sorted(rows, key=lambda q: (q.at, q.table, q.id))


def release(session: Session, table: str, row_id: int) -> bool:
    """Put a row back in its loop's way; False when it was not set aside."""
    model, channel = TABLES[table]
    released = rowcount(
        session.execute(
            update(model)
            .where(model.id == row_id, ~not_quarantined(model))
            .values(quarantined_at=None, quarantine_reason=None)
            .execution_options(synchronize_session=False)
        )
    )
    if released:
        session.execute(text("SELECT pg_notify(:channel, 'release')"), {"channel": channel})
    return bool(released)
