"""The working calendar the scheduler plans by: the CRM's latest snapshot over the defaults.

The CRM owns the calendar (a reference book); every change reaches the scheduler as a
``WorkingCalendarChanged`` snapshot, kept here whole in one row. Without one yet, the
configured default (``SCHEDULER_WORKDAYS`` and the like) applies, as it does in the CRM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.scheduler.adapters.orm import CalendarSnapshot
from shared import config
from shared.calendar import CompanyCalendar, configured, from_snapshot
from shared.db import utcnow

EMPTY: dict[str, Any] = {"default": None, "departments": [], "holidays": []}


def load(session: Session, settings: config.Settings) -> CompanyCalendar:
    """The calendar in force; ``settings`` give the default the CRM's snapshot may leave out."""
    row = session.get(CalendarSnapshot, 1)
    return from_snapshot(row.snapshot if row else EMPTY, configured(settings))


def replace_snapshot(session: Session, revision: int, snapshot: dict[str, Any]) -> bool:
    """Keep ``snapshot`` unless a newer or equal revision is kept; True if it replaced it."""
    row = session.get(CalendarSnapshot, 1, with_for_update=True)
    if row is not None and row.revision >= revision:
        return False
    if row is None:
        row = CalendarSnapshot(id=1)
        session.add(row)
    row.revision, row.snapshot, row.received_at = revision, snapshot, utcnow()
    session.flush()
    return True
