"""The deals' write side of the read model: each stage change adds to the funnel's aggregates
in the transaction that writes it (services/crm/analytics/__init__.py says why there).

``adapters/rebuild.py`` (DEAL_STAGE_DAYS, DEAL_DAYS) computes the same rows from the stage
history; the two must agree. Rows are keyed by the deal's opening day, kind and manager.
The open deals' rows (OPEN_DEAL_DAYS there) follow where each deal stands now: ``standing``
before a change, ``restand`` after it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealStage, DealStageChange
from services.crm.analytics.adapters.deal_tables import (
    DealDay,
    DealStageDay,
    DealStay,
    OpenDealDay,
)
from services.crm.analytics.domain import bottlenecks
from services.crm.analytics.domain.periods import local_day, month_of
from services.crm.analytics.handlers.recorder import _bump, _timezone
from services.crm.domain import deals as rules


def _key(session: Session, deal: Deal) -> dict[str, Any]:
    day = local_day(deal.created_at, _timezone(session, deal.responsible_id))
    return {"day": day, "kind_id": deal.kind_id, "manager_id": deal.responsible_id}


def _stage(session: Session, deal: Deal, stage_id: int, **add: Any) -> None:
    _bump(session, DealStageDay, {**_key(session, deal), "stage_id": stage_id}, add)


def moved(session: Session, deal: Deal, change: DealStageChange) -> None:
    """A row of the stage history was written (and flushed) for ``deal``."""
    before = session.execute(
        select(DealStageChange.to_stage_id).where(
            DealStageChange.deal_id == deal.id, DealStageChange.id < change.id
        )
    ).all()
    reached = {row.to_stage_id for row in before}
    if not before:
        _bump(session, DealDay, _key(session, deal), {"opened": 1})
    if change.from_stage_id is not None:
        dropped = int(change.to_state in (rules.LOST, rules.CANCELLED))
        _stage(
            session,
            deal,
            change.from_stage_id,
            stays=1,
            stay_seconds=change.seconds_spent,
            dropped=dropped,
        )
        _stay(session, deal, change)
    if change.to_stage_id is not None and change.to_stage_id not in reached:
        stage = session.get(DealStage, change.to_stage_id)
        earlier = session.scalars(
            select(DealStage.id).where(
                DealStage.kind_id == stage.kind_id, DealStage.position < stage.position
            )
        )
        in_order = int(set(earlier) <= reached)
        _stage(session, deal, stage.id, reached=1, reached_in_order=in_order)
    if rules.is_closing(change.to_state):
        _closed(session, deal, change)


def _stay(session: Session, deal: Deal, change: DealStageChange) -> None:
    """The stay just ended, in its length band of the month it ended (the bottlenecks)."""
    seconds = change.seconds_spent
    duration = session.get(DealStage, change.from_stage_id).duration_days
    key = {
        "month": month_of(change.changed_at.astimezone(UTC).date()),
        "kind_id": deal.kind_id,
        "stage_id": change.from_stage_id,
        "manager_id": deal.responsible_id,
        "band": bottlenecks.band(seconds),
    }
    add = {"stays": 1, "late": int(bottlenecks.late(seconds, duration)), "seconds": seconds}
    _bump(session, DealStay, key, add, latest={"max_seconds": seconds})


def _closed(session: Session, deal: Deal, change: DealStageChange) -> None:
    add: dict[str, Any] = {change.to_state: 1}
    if change.to_state in (rules.WON, rules.LOST):
        add["cycle_seconds"] = (change.changed_at - deal.created_at).total_seconds()
    if change.to_state == rules.WON:
        add["won_amount"] = deal.amount
    _bump(session, DealDay, _key(session, deal), add)


def standing(deal: Deal) -> dict[str, Any] | None:
    """The key of the open deals' row ``deal`` counts in now; None when closed or not posted."""
    if deal.state != rules.IN_PROGRESS or deal.stage_id is None:
        return None
    return {
        "stage_id": deal.stage_id,
        "day": deal.stage_entered_at.astimezone(UTC).date(),
        "manager_id": deal.responsible_id,
        "kind_id": deal.kind_id,
    }


def restand(session: Session, was: dict[str, Any] | None, deal: Deal) -> None:
    """``deal`` stood at ``was`` (``standing`` before a change): it leaves that row for the
    one it stands in now (moved, gone back a stage, closed, reopened, given to another)."""
    now = standing(deal)
    if now == was:
        return
    changes = [(was, -1), (now, 1)]
    # In key order: two deals crossing between the same two rows lock them in the same order.
    for key, step in sorted((c for c in changes if c[0] is not None), key=_row_order):
        if step > 0:
            _bump(session, OpenDealDay, key, {"deals": 1})
        else:
            _leave(session, key)


def _row_order(change: tuple[dict[str, Any], int]) -> tuple:
    key = change[0]
    return key["stage_id"], key["day"], key["manager_id"]


def _leave(session: Session, key: dict[str, Any]) -> None:
    """One deal fewer in the row of ``key``; a row left empty goes (the table stays as small
    as the open deals' distinct days). The row stays locked from the update to the delete."""
    where = [getattr(OpenDealDay, name) == key[name] for name in ("stage_id", "day", "manager_id")]
    left = session.scalar(
        update(OpenDealDay)
        .where(*where)
        .values(deals=OpenDealDay.deals - 1)
        .returning(OpenDealDay.deals)
        .execution_options(synchronize_session=False)
    )
    if left == 0:
        session.execute(
            delete(OpenDealDay)
            .where(*where, OpenDealDay.deals == 0)
            .execution_options(synchronize_session=False)
        )
