"""Lost customers: refusals in the calling loop and the inbound process (and, with deals,
lost deals), by reason, stage, competitor, manager, process kind or period.

Every source writes into one aggregate (``recorder.lost``), so the analysis reads one
table whatever lost the customer; a deal branch only names its competitors with
:func:`register_names`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee, RefusalReason
from services.crm.analytics.adapters.tables import Loss
from services.crm.analytics.domain import kinds
from services.crm.analytics.domain.ranking import share
from services.crm.analytics.handlers.scope import Filters

Names = Callable[[Session, list[Any]], dict[Any, str]]


def _names_of(model: Any) -> Names:
    def names(session: Session, ids: list[Any]) -> dict[Any, str]:
        found = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
        return dict(found.all())

    return names


def _titles(session: Session, keys: list[Any]) -> dict[Any, str]:
    return kinds.kinds()


def _self(session: Session, keys: list[Any]) -> dict[Any, str]:
    return {key: str(key) for key in keys}


def _period(unit: str) -> Any:
    return cast(func.date_trunc(unit, Loss.day), Date)


# What a row is keyed by, and how its key is named.
DIMENSIONS: dict[str, tuple[Any, Names]] = {
    "reason": (Loss.reason_id, _names_of(RefusalReason)),
    "stage": (Loss.stage, _self),
    "competitor": (Loss.competitor_id, _self),
    "manager": (Loss.manager_id, _names_of(Employee)),
    "process_kind": (Loss.process_kind, _titles),
    "month": (_period("month"), _self),
    "week": (_period("week"), _self),
    "day": (Loss.day, _self),
}
COLUMNS = ("key", "name", "count", "share", "amount")


def register_names(dimension: str, names: Names) -> None:
    """Name a dimension's keys (the deals' competitors) instead of showing their ids."""
    column, _ = DIMENSIONS[dimension]
    DIMENSIONS[dimension] = (column, names)


def report(session: Session, filters: Filters, *, by: str = "reason") -> dict:
    column, names = DIMENSIONS[by]
    key = column.label("key")
    stmt = (
        select(key, func.sum(Loss.count).label("count"), func.sum(Loss.amount).label("amount"))
        .where(Loss.day.between(filters.period.start, filters.period.end))
        .group_by(key)
        .order_by(func.sum(Loss.count).desc(), key)
    )
    if filters.manager_ids is not None:
        stmt = stmt.where(Loss.manager_id.in_(filters.manager_ids))
    if filters.process_kind is not None:
        stmt = stmt.where(Loss.process_kind == filters.process_kind)
    found = session.execute(stmt).all()
    total = sum(count for _key, count, _amount in found)
    named = names(session, [row.key for row in found if row.key is not None])
    return {
        "filters": filters.echo(),
        "by": by,
        "total": total,
        "amount": sum((row.amount for row in found), Decimal("0.00")),
        "rows": _rows(found, named, total),
    }


def _rows(found: Iterable[Any], named: dict[Any, str], total: int) -> list[dict[str, Any]]:
    return [
        {
            "key": row.key.isoformat() if isinstance(row.key, date) else row.key,
            "name": named.get(row.key) if row.key is not None else None,
            "count": row.count,
            "share": share(row.count, total),
            "amount": row.amount,
        }
        for row in found
    ]
