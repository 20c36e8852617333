"""The deals' write side of the read model: each stage change adds to the funnel's aggregates
in the transaction that writes it (services/crm/analytics/__init__.py says why there).

``adapters/rebuild.py`` (DEAL_STAGE_DAYS, DEAL_DAYS) computes the same rows from the stage
history; the two must agree. Rows are keyed by the deal's opening day, kind and manager.
The open deals' rows (OPEN_DEAL_DAYS and OPEN_PIPELINE there) follow where each deal stands
now: ``standing`` before a change, ``restand`` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealStage, DealStageChange
from services.crm.analytics.adapters.deal_tables import (
    DealDay,
    DealStageDay,
    DealStay,
    OpenDealDay,
    OpenPipeline,
    WinChance,
)
from services.crm.analytics.domain import bottlenecks
from services.crm.analytics.domain.periods import local_day, month_of
from services.crm.analytics.handlers.recorder import _bump, _timezone
from services.crm.domain import deals as rules
from shared.db import table_of

PIPELINE = table_of(OpenPipeline).fullname
PIPELINE_KEY = "uq_analytics_open_pipeline_key"


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


@dataclass(frozen=True)
class Stand:
    """Where an open deal counts now: its row of the open deals' days (keyed by stage, day
    entered and manager) and of the pipeline (kind, manager, expected month) with its shares."""

    day_key: dict[str, Any]
    pipeline_key: dict[str, Any]
    amount: Decimal
    weighted: Decimal


def standing(session: Session, deal: Deal) -> Stand | None:
    """Where ``deal`` counts now; None when closed or not posted. Taken before a change, so
    the re-fit of the chances (which rebuilds the pipeline under an exclusive lock) never
    falls between reading a chance and taking away what it weighed."""
    session.execute(text(f"LOCK TABLE {PIPELINE} IN ROW EXCLUSIVE MODE"))
    return _stand(session, deal)


def _stand(session: Session, deal: Deal) -> Stand | None:
    if deal.state != rules.IN_PROGRESS or deal.stage_id is None:
        return None
    fitted = session.get(WinChance, deal.id)
    chance = exact_chance(fitted.probability) if fitted else Decimal(deal.probability) / 100
    month = deal.expected_close_date.replace(day=1) if deal.expected_close_date else None
    return Stand(
        day_key={
            "stage_id": deal.stage_id,
            "day": deal.stage_entered_at.astimezone(UTC).date(),
            "manager_id": deal.responsible_id,
            "kind_id": deal.kind_id,
        },
        pipeline_key={"kind_id": deal.kind_id, "manager_id": deal.responsible_id, "month": month},
        amount=deal.amount,
        weighted=deal.amount * chance,
    )


def exact_chance(probability: float) -> Decimal:
    """A fitted chance (four places, win_probability.chance) as the decimal it stands for;
    rebuild.py's OPEN_PIPELINE takes it the same way."""
    return Decimal(repr(round(probability, 4)))


def restand(session: Session, was: Stand | None, deal: Deal) -> None:
    """``deal`` stood at ``was`` (``standing`` before a change): it leaves those rows for the
    ones it stands in now (moved, gone back a stage, closed, reopened, given to another, its
    amount or expected month changed)."""
    now = _stand(session, deal)
    if now == was:
        return
    moves = [(stand, step) for stand, step in ((was, -1), (now, 1)) if stand is not None]
    # Each table's rows in key order: two deals crossing between the same two rows lock them
    # in the same order.
    if not (was and now and was.day_key == now.day_key):
        for stand, step in sorted(moves, key=lambda m: _day_order(m[0].day_key)):
            _shift(session, OpenDealDay, stand.day_key, step, {"deals": 1})
    for stand, step in sorted(moves, key=lambda m: _month_order(m[0].pipeline_key)):
        add = {"deals": 1, "amount": stand.amount, "weighted": stand.weighted}
        _shift(session, OpenPipeline, stand.pipeline_key, step, add, constraint=PIPELINE_KEY)


def _shift(
    session: Session,
    model: type[Any],
    key: dict[str, Any],
    step: int,
    add: dict[str, Any],
    constraint: str | None = None,
) -> None:
    """A deal joins (``step`` 1) or leaves (-1) the row of ``key`` with its shares ``add``."""
    if step > 0:
        _bump(session, model, key, add, constraint=constraint)
    else:
        _leave(session, model, key, add)


def _day_order(key: dict[str, Any]) -> tuple:
    return key["stage_id"], key["day"], key["manager_id"]


def _month_order(key: dict[str, Any]) -> tuple:
    return key["kind_id"], key["manager_id"], key["month"] or date.max


def _leave(session: Session, model: type[Any], key: dict[str, Any], take: dict[str, Any]) -> None:
    """A deal leaves the row of ``key`` taking its shares; a row left with no deals goes (the
    table stays as small as the open deals' distinct keys). The row stays locked from the
    update to the delete."""
    where = [
        getattr(model, name).is_(None) if value is None else getattr(model, name) == value
        for name, value in key.items()
    ]
    left = session.scalar(
        update(model)
        .where(*where)
        .values({name: getattr(model, name) - n for name, n in take.items()})
        .returning(model.deals)
        .execution_options(synchronize_session=False)
    )
    if left == 0:
        session.execute(
            delete(model)
            .where(*where, model.deals == 0)
            .execution_options(synchronize_session=False)
        )
