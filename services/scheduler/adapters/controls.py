"""What an operator controls and watches of the tick: the pause switch and the due backlog.

``crm-ops pause-scheduler`` inserts the single ``scheduler.pause`` row; while it exists every
instance's tick emits nothing (no due calls, plan revisions, timers or routine runs) and
the worker keeps updating plans, so what fell due is emitted on resume.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.orm import CallPlan, Pause, Timer
from services.scheduler.domain.plans import PLANNED
from services.scheduler.domain.timers import PENDING
from shared import metrics
from shared.containment import not_quarantined
from shared.db import utcnow


def paused(session: Session) -> Pause | None:
    """The pause row if emission is paused; also what the ``scheduler_paused`` gauge shows."""
    row = session.get(Pause, 1, populate_existing=True)
    metrics.scheduler().paused.set(1 if row else 0)
    return row


def pause(session: Session, reason: str | None) -> Pause:
    """Pause emission; pausing again keeps the first time and reason."""
    session.execute(insert(Pause).values(id=1, reason=reason).on_conflict_do_nothing())
    return session.get_one(Pause, 1, populate_existing=True)


def resume(session: Session) -> bool:
    """Lift the pause; False when it was not paused."""
    return session.execute(delete(Pause).returning(Pause.id)).first() is not None


def due_backlog(sessions: sessionmaker[Session], now: datetime | None = None) -> dict[str, int]:
    """Planned calls and pending timers due by ``now`` and not emitted yet (both indexed);
    rows set aside are not waiting for the tick (``crm_quarantined_rows_total`` counts them)."""
    now = now or utcnow()
    with sessions() as session:
        calls = select(func.count()).where(
            CallPlan.state == PLANNED, CallPlan.next_call_at <= now, not_quarantined(CallPlan)
        )
        timers = select(func.count()).where(
            Timer.state == PENDING, Timer.fire_at <= now, not_quarantined(Timer)
        )
        return {"call": session.scalar(calls) or 0, "timer": session.scalar(timers) or 0}
