"""The BCG matrix of item groups: sales growth against relative share, per group."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.crm.analytics.adapters.records import ItemGroup
from services.crm.analytics.adapters.tables import GroupMonth
from services.crm.analytics.domain.classes import GROWTH_HIGH, SHARE_HIGH, bcg_quadrant
from services.crm.analytics.domain.periods import Period
from services.crm.analytics.domain.ranking import share
from services.crm.analytics.handlers.scope import Filters

COLUMNS = (
    "group_id",
    "name",
    "revenue",
    "previous_revenue",
    "growth",
    "share_of_sales",
    "relative_share",
    "quadrant",
)


def _revenue(session: Session, filters: Filters, period: Period) -> dict[int | None, Decimal]:
    first, last = period.months
    stmt = (
        select(GroupMonth.group_id, func.sum(GroupMonth.revenue))
        .where(GroupMonth.month.between(first, last))
        .group_by(GroupMonth.group_id)
    )
    if filters.manager_ids is not None:
        stmt = stmt.where(GroupMonth.manager_id.in_(filters.manager_ids))
    if filters.process_kind is not None:
        stmt = stmt.where(GroupMonth.process_kind == filters.process_kind)
    return dict(session.execute(stmt).all())


def report(session: Session, filters: Filters) -> dict[str, Any]:
    """Every group sold in the period or the one before, with its quadrant."""
    now = _revenue(session, filters, filters.period)
    before = _revenue(session, filters, filters.period.previous())
    names = dict(session.execute(select(ItemGroup.id, ItemGroup.name)).all())
    total = sum(now.values(), Decimal("0.00"))
    rows: list[dict[str, Any]] = []
    for group_id in sorted(now.keys() | before.keys(), key=lambda g: (g is None, g)):
        revenue, previous = now.get(group_id, Decimal("0.00")), before.get(group_id)
        growth = float((revenue - previous) / previous) if previous else None
        largest_other = max((v for g, v in now.items() if g != group_id), default=Decimal(0))
        relative = float(revenue / largest_other) if largest_other else None
        rows.append(
            {
                "group_id": group_id,
                "name": names.get(group_id) if group_id is not None else None,
                "revenue": revenue,
                "previous_revenue": previous or Decimal("0.00"),
                "growth": round(growth, 4) if growth is not None else None,
                "share_of_sales": share(float(revenue), float(total)),
                "relative_share": round(relative, 4) if relative is not None else None,
                # With no other group selling, this one leads whatever it sold.
                "quadrant": bcg_quadrant(growth, relative if largest_other else math.inf),
            }
        )
    rows.sort(key=lambda r: r["revenue"], reverse=True)
    return {
        "filters": filters.echo(),
        "previous": {"from": filters.period.previous().start, "to": filters.period.previous().end},
        "growth_high": GROWTH_HIGH,
        "share_high": SHARE_HIGH,
        "rows": rows,
    }
