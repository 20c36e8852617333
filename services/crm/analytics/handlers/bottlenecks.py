"""Bottlenecks of the deal process: time in each stage (median, 90th percentile, maximum) over
the months the period touches and its trend by month, the stages where deals stall most, the
deals stalled right now; per stage, or per manager and stage (``by=manager``).

Stays come from the length bands of analytics_deal_stays (handlers/deal_recorder.py). The
deals stalled now are the open deals standing in a stage longer than its standard duration.
Whether a deal is stalled changes with the clock, not with an event; but the day it entered
its stage changes only with an event, and the clock only moves the cut-off over those days.
So analytics_open_deal_days keeps the open deals by stage, manager and UTC day entered
(through moves, going back, closing and changes of hands): the whole days before the
cut-off's day are summed from it, and only the deals that entered on that day are counted one
by one, from the partial index ix_deals_open_in_stage (open deals by stage and entry time).
The count reads a few rows per stage and day, not every stalled deal. The same index, and
ix_deals_open_by_manager for a department's or a manager's report, give the oldest stalled
deals of each stage for the list, without the table.

A table kept in the writing transaction, not a materialized view: a view refreshed by a
routine lags by the routine's period (the report may lag 5 s at most) and recounts every open
deal at each refresh, the very cost avoided here; the table changes when, and only if, a
deal's move commits (services/crm/analytics/__init__.py says the same of the other
aggregates).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Date, DateTime, cast, false, func, select, true, union_all
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealStage
from services.crm.adapters.orm import Employee
from services.crm.analytics.adapters.deal_tables import DealStay, OpenDealDay
from services.crm.analytics.domain import bottlenecks as rules
from services.crm.analytics.domain.funnel import DAY
from services.crm.analytics.domain.ranking import share
from services.crm.analytics.handlers.funnel import applies
from services.crm.analytics.handlers.scope import Filters
from services.crm.domain import deals as deal_rules
from shared.db import utcnow

COLUMNS = (
    "kind_id",
    "stage_id",
    "code",
    "name",
    "manager_id",
    "manager",
    "stays",
    "median_days",
    "p90_days",
    "max_days",
    "late",
    "late_share",
    "stalled_now",
)
STALLED_LISTED = 100


def _whose(stmt, column, filters: Filters):
    return stmt if filters.manager_ids is None else stmt.where(column.in_(filters.manager_ids))


def _manager_filter(stmt, column, filters: Filters, kind_id: int | None, kind_column):
    stmt = _whose(stmt, column, filters)
    if kind_id is not None:
        stmt = stmt.where(kind_column == kind_id)
    return stmt if applies(filters) else stmt.where(False)


def _bands(session: Session, filters: Filters, kind_id: int | None, *group: Any) -> list[Any]:
    """Length bands summed in the database over the months the period touches, per ``group``."""
    first, last = filters.period.months
    stmt = (
        select(
            *group,
            DealStay.band,
            func.sum(DealStay.stays).label("stays"),
            func.sum(DealStay.late).label("late"),
            func.max(DealStay.max_seconds).label("max_seconds"),
        )
        .where(DealStay.month.between(first, last))
        .group_by(*group, DealStay.band)
    )
    stmt = _manager_filter(stmt, DealStay.manager_id, filters, kind_id, DealStay.kind_id)
    return list(session.execute(stmt))


def _figures(found: Iterable[Any]) -> dict[str, Any]:
    found = list(found)
    stays = sum(b.stays for b in found)
    late = sum(b.late for b in found)
    bands = [(b.band, b.stays, b.max_seconds) for b in found]
    longest = max((b.max_seconds for b in found), default=0)
    median, p90 = rules.percentiles(bands, (0.5, 0.9))
    return {
        "stays": stays,
        "median_days": median,
        "p90_days": p90,
        "max_days": round(longest / DAY, 2) if stays else None,
        "late": late,
        "late_share": share(late, stays),
    }


def _stages(filters: Filters, kind_id: int | None):
    """The stages with a standard duration (of the kind asked), each with its cut-off now, the
    UTC day of the cut-off and that day's start: open deals entered before the cut-off stall."""
    cutoff = func.now() - DealStage.duration_days * timedelta(days=1)
    cutoff_day = cast(func.timezone("UTC", cutoff), Date)
    stmt = select(
        DealStage.id,
        DealStage.code,
        DealStage.duration_days,
        cutoff.label("cutoff"),
        cutoff_day.label("day"),
        func.timezone("UTC", cast(cutoff_day, DateTime)).label("day_start"),
    ).where(DealStage.duration_days > 0)
    if kind_id is not None:
        stmt = stmt.where(DealStage.kind_id == kind_id)
    return (stmt if applies(filters) else stmt.where(false())).subquery("stage")


def _stalled_now(filters: Filters, kind_id: int | None, per_manager: bool):
    """How many open deals stand in their stage past its standard duration, per stage (and
    manager): whole days before the cut-off's UTC day from the open deals' rows, that day's
    deals entered before the cut-off from the index. One statement, so one snapshot."""
    stage = _stages(filters, kind_id)
    whole_days = _whose(
        select(OpenDealDay.stage_id, OpenDealDay.manager_id, func.sum(OpenDealDay.deals).label("n"))
        .join(stage, stage.c.id == OpenDealDay.stage_id)
        .where(OpenDealDay.day < stage.c.day)
        .group_by(OpenDealDay.stage_id, OpenDealDay.manager_id),
        OpenDealDay.manager_id,
        filters,
    )
    cutoff_day = _whose(
        select(Deal.stage_id, Deal.responsible_id, func.count().label("n"))
        .join(stage, stage.c.id == Deal.stage_id)
        .where(
            Deal.state == deal_rules.IN_PROGRESS,
            Deal.stage_entered_at >= stage.c.day_start,
            Deal.stage_entered_at < stage.c.cutoff,
        )
        .group_by(Deal.stage_id, Deal.responsible_id),
        Deal.responsible_id,
        filters,
    )
    both = union_all(whole_days, cutoff_day).subquery()
    key = (both.c.stage_id, both.c.manager_id) if per_manager else (both.c.stage_id,)
    return select(*key, func.sum(both.c.n).label("n")).group_by(*key)


def stalled(session: Session, filters: Filters, kind_id: int | None) -> list[dict[str, Any]]:
    """The deals stalled now, the longest standing first (the first STALLED_LISTED).

    The first STALLED_LISTED of each stage's index range (a lateral join), or of each stage and
    manager's when the report is someone's (ix_deals_open_by_manager: a department's managers
    need not read the whole stage), then merged: the same list as sorting every stalled deal,
    without reading them all. Names are read for the merged list only.
    """
    now = utcnow()
    stage = _stages(filters, kind_id)
    source: Any = stage
    oldest = (
        select(Deal.id, Deal.responsible_id, Deal.stage_entered_at)
        .where(
            Deal.state == deal_rules.IN_PROGRESS,
            Deal.stage_id == stage.c.id,
            Deal.stage_entered_at < stage.c.cutoff,
        )
        .order_by(Deal.stage_entered_at, Deal.id)
        .limit(STALLED_LISTED)
    )
    if filters.manager_ids is not None:
        managers = select(Employee.id).where(Employee.id.in_(filters.manager_ids)).subquery()
        source = stage.join(managers, true())
        oldest = oldest.where(Deal.responsible_id == managers.c.id)
    found = oldest.lateral()
    first = (
        select(
            found.c.id,
            stage.c.id.label("stage_id"),
            stage.c.code,
            stage.c.duration_days,
            found.c.responsible_id,
            found.c.stage_entered_at,
        )
        .select_from(source)
        .join(found, true())
        .order_by(found.c.stage_entered_at, found.c.id)
        .limit(STALLED_LISTED)
        .subquery()
    )
    stmt = (
        select(first, Deal.name, Employee.name.label("manager"))
        .join(Deal, Deal.id == first.c.id)
        .join(Employee, Employee.id == first.c.responsible_id)
        .order_by(first.c.stage_entered_at, first.c.id)
    )
    return [
        {
            "deal_id": row.id,
            "name": row.name,
            "stage_id": row.stage_id,
            "code": row.code,
            "manager_id": row.responsible_id,
            "manager": row.manager,
            "days_in_stage": round((now - row.stage_entered_at).total_seconds() / DAY, 2),
            "standard_days": row.duration_days,
        }
        for row in session.execute(stmt)
    ]


def report(
    session: Session, filters: Filters, *, kind_id: int | None = None, by: str = "stage"
) -> dict:
    per_manager = by == "manager"
    trend = _bands(session, filters, kind_id, DealStay.month, DealStay.stage_id)
    # Per stage, the months' bands serve the rows too (the figures merge a band's months);
    # per manager and stage they are read again with the manager.
    found = (
        _bands(session, filters, kind_id, DealStay.stage_id, DealStay.manager_id)
        if per_manager
        else trend
    )
    groups: dict[tuple, list[Any]] = {}
    for b in found:
        groups.setdefault((b.stage_id, b.manager_id if per_manager else None), []).append(b)
    stalled_now = {
        (row.stage_id, row.manager_id if per_manager else None): int(row.n)
        for row in session.execute(_stalled_now(filters, kind_id, per_manager))
    }
    for key in stalled_now:  # a stage with stalled deals but no stay ended yet shows too
        groups.setdefault(key, [])
    stages = {
        s.id: s
        for s in session.scalars(
            select(DealStage).where(DealStage.id.in_({stage for stage, _ in groups}))
        )
    }
    names = dict(
        session.execute(
            select(Employee.id, Employee.name).where(Employee.id.in_({m for _, m in groups}))
        ).all()
    )
    rows = []
    for (stage_id, manager_id), found in groups.items():
        stage = stages[stage_id]
        rows.append(
            {
                "kind_id": stage.kind_id,
                "stage_id": stage_id,
                "code": stage.code,
                "name": stage.name,
                "position": stage.position,
                "manager_id": manager_id,
                "manager": names.get(manager_id),
                **_figures(found),
                "stalled_now": stalled_now.get((stage_id, manager_id), 0),
            }
        )
    rows.sort(key=lambda r: (r["kind_id"], r["position"], r["manager"] or "", r["manager_id"] or 0))
    return {
        "filters": filters.echo(),
        "kind_id": kind_id,
        "by": by,
        "rows": rows,
        "worst": _worst(rows),
        "trend": _trend(trend, stages),
        "stalled": stalled(session, filters, kind_id),
        "stalled_count": sum(stalled_now.values()),
    }


def _worst(rows: list[dict[str, Any]]) -> list[int]:
    """Stages where deals stall most: the largest share of stays past the standard duration,
    then the longest median."""
    ranked = sorted(
        (r for r in rows if r["stays"]),
        key=lambda r: (-(r["late_share"] or 0), -(r["median_days"] or 0), r["stage_id"]),
    )
    return list(dict.fromkeys(r["stage_id"] for r in ranked))


def _trend(bands: list[Any], stages: dict[int, DealStage]) -> list[dict[str, Any]]:
    """Per month and stage, the stays ended and their median and 90th percentile."""
    months: dict[tuple, list[Any]] = {}
    for b in bands:
        months.setdefault((b.month, b.stage_id), []).append(b)
    return [
        {
            "month": month,
            "stage_id": stage_id,
            "code": stages[stage_id].code,
            **{
                k: v
                for k, v in _figures(found).items()
                if k in ("stays", "median_days", "p90_days")
            },
        }
        for (month, stage_id), found in sorted(
            months.items(), key=lambda kv: (kv[0][0], stages[kv[0][1]].position)
        )
    ]
