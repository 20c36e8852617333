"""The sales funnel: deals opened in the period followed through their stages (the read model
of handlers/deal_recorder.py), with the open pipeline and the forecast of won amounts.

The pipeline is what stands open now: the open deals by kind, manager and expected close month
with their amounts and weights (analytics_open_pipeline), moved by each deal's change and
rebuilt by each re-fit of the chances, so it costs the same at 1,000 open deals or 200,000.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import DealKind, DealStage
from services.crm.analytics.adapters.deal_tables import DealDay, DealStageDay, OpenPipeline
from services.crm.analytics.domain import funnel as rules
from services.crm.analytics.domain import kinds
from services.crm.analytics.handlers.scope import Filters

COLUMNS = (
    "kind_id",
    "stage_id",
    "code",
    "name",
    "position",
    "reached",
    "reached_in_order",
    "dropped",
    "conversion",
    "strict_conversion",
    "avg_days_in_stage",
)
SUMMED = ("opened", "won", "lost", "cancelled")
CENT = Decimal("0.01")


def applies(filters: Filters) -> bool:
    """Deals are their own process kind: another kind's filter leaves no deal."""
    return filters.process_kind in (None, kinds.DEALS)


def _where(stmt, model, filters: Filters, kind_id: int | None, *, day=True):
    if day:
        stmt = stmt.where(model.day.between(filters.period.start, filters.period.end))
    manager = model.manager_id if hasattr(model, "manager_id") else model.responsible_id
    if filters.manager_ids is not None:
        stmt = stmt.where(manager.in_(filters.manager_ids))
    if kind_id is not None:
        stmt = stmt.where(model.kind_id == kind_id)
    if not applies(filters):
        stmt = stmt.where(False)
    return stmt


def stage_counts(session: Session, filters: Filters, kind_id: int | None) -> list[Any]:
    """Every stage of the kinds in question with its sums over the period (zeros if none)."""
    names = ("reached", "reached_in_order", "dropped", "stays", "stay_seconds")
    sums = _where(
        select(
            DealStageDay.stage_id,
            *(func.sum(getattr(DealStageDay, n)).label(n) for n in names),
        ).group_by(DealStageDay.stage_id),
        DealStageDay,
        filters,
        kind_id,
    ).subquery()
    stmt = (
        select(
            DealStage,
            *(func.coalesce(getattr(sums.c, n), 0).label(n) for n in names),
        )
        .outerjoin(sums, sums.c.stage_id == DealStage.id)
        .join(DealKind, DealKind.id == DealStage.kind_id)
    )
    if kind_id is not None:
        stmt = stmt.where(DealStage.kind_id == kind_id)
    else:  # retired kinds only while their deals count
        stmt = stmt.where(DealKind.active | sums.c.stage_id.is_not(None))
    return [
        rules.StageCounts(
            row.DealStage.kind_id,
            row.DealStage.id,
            row.DealStage.position,
            row.DealStage.code,
            row.DealStage.name,
            row.DealStage.probability,
            int(row.reached),
            int(row.reached_in_order),
            int(row.dropped),
            int(row.stays),
            float(row.stay_seconds),
        )
        for row in session.execute(stmt)
    ]


def outcomes(session: Session, filters: Filters, kind_id: int | None) -> dict[str, Any]:
    stmt = _where(
        select(
            *(func.coalesce(func.sum(getattr(DealDay, n)), 0).label(n) for n in SUMMED),
            func.coalesce(func.sum(DealDay.won_amount), 0).label("won_amount"),
            func.coalesce(func.sum(DealDay.cycle_seconds), 0).label("cycle_seconds"),
        ),
        DealDay,
        filters,
        kind_id,
    )
    row = session.execute(stmt).one()
    counts = {n: int(getattr(row, n)) for n in SUMMED}
    return {
        **counts,
        "win_rate": rules.win_rate(counts["won"], counts["lost"]),
        "avg_cycle_days": rules.days(row.cycle_seconds, counts["won"] + counts["lost"]),
        "won_amount": Decimal(row.won_amount).quantize(CENT),
    }


def pipeline(session: Session, filters: Filters, kind_id: int | None) -> dict[str, Any]:
    """Open deals now: their amount, weighted by their chance, and by expected close month."""
    stmt = _where(
        select(
            OpenPipeline.month,
            func.sum(OpenPipeline.deals).label("deals"),
            func.sum(OpenPipeline.amount).label("amount"),
            func.sum(OpenPipeline.weighted).label("weighted"),
        )
        .group_by(OpenPipeline.month)
        .order_by(OpenPipeline.month.nulls_last()),
        OpenPipeline,
        filters,
        kind_id,
        day=False,
    )
    months = [
        {
            "month": row.month,
            "deals": int(row.deals),
            "amount": Decimal(row.amount).quantize(CENT),
            "expected_won_amount": Decimal(row.weighted).quantize(CENT),
        }
        for row in session.execute(stmt)
        if row.deals
    ]
    return {
        "open_deals": sum(m["deals"] for m in months),
        "pipeline_amount": sum((m["amount"] for m in months), Decimal("0.00")),
        "weighted_pipeline": sum((m["expected_won_amount"] for m in months), Decimal("0.00")),
        "forecast": months,
    }


def report(session: Session, filters: Filters, *, kind_id: int | None = None) -> dict:
    stages = stage_counts(session, filters, kind_id)
    return {
        "filters": filters.echo(),
        "kind_id": kind_id,
        **outcomes(session, filters, kind_id),
        **pipeline(session, filters, kind_id),
        "rows": rules.stage_rows(stages),
    }
