"""SQL shared by the reports on customers: their orders in a report's months and scope.

Each report is one statement over the month aggregates, so PostgreSQL reads them once;
the class thresholds are bound from ``domain/classes.py``, never copied into the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.crm.analytics.handlers.scope import Filters


@dataclass(frozen=True)
class Sources:
    """Where a customer's months come from: of one kind (a report filtered by kind) and over
    every kind; the read model's tables, or (the benchmark's comparison) the same rows computed
    from the history."""

    of_kind: str
    totals: str


READ_MODEL = Sources("crm.analytics_customer_months", "crm.analytics_customer_month_totals")


def customers_cte(filters: Filters, sources: Sources = READ_MODEL) -> tuple[str, dict[str, Any]]:
    """A ``customers`` CTE: each customer's revenue, orders (numeric), sum of squared monthly
    revenues and last order over the report's months and scope, one aggregation over one row
    per customer and month."""
    first, last = filters.period.months
    params: dict[str, Any] = {"first_month": first, "last_month": last}
    scope = kind = ""
    if filters.manager_ids is not None:
        scope = (
            "JOIN crm.counterparties cp ON cp.id = m.counterparty_id "
            "AND cp.responsible_id = ANY(:manager_ids)"
        )
        params["manager_ids"] = filters.manager_ids
    source = sources.totals
    if filters.process_kind is not None:
        source, kind = sources.of_kind, "AND m.process_kind = :process_kind"
        params["process_kind"] = filters.process_kind
    sql = f"""
    WITH customers AS (
        SELECT m.counterparty_id, sum(m.revenue) AS revenue, sum(m.orders)::numeric AS orders,
               sum(m.revenue::float8 * m.revenue::float8) AS squares,
               max(m.last_order_at) AS last_order_at
        FROM {source} m {scope}
        WHERE m.month BETWEEN :first_month AND :last_month {kind}
        GROUP BY m.counterparty_id
    )"""
    return sql, params


def thresholds(
    name: str, value: str, classes: Sequence[tuple[str, float]], params: dict[str, Any], op: str
) -> str:
    """A CASE giving the first class whose limit ``value`` is ``op`` (the last takes the rest)."""
    whens = []
    for n, (label, limit) in enumerate(classes[:-1]):
        params[f"{name}_{n}"] = limit
        params[f"{name}_label_{n}"] = label
        whens.append(f"WHEN {value} {op} :{name}_{n} THEN :{name}_label_{n}")
    params[f"{name}_rest"] = classes[-1][0]
    return f"CASE {' '.join(whens)} ELSE :{name}_rest END"


def page_params(page: int | None, page_size: int) -> dict[str, Any]:
    """LIMIT/OFFSET of one page; no page means every row (an export)."""
    if page is None:
        return {"limit": None, "offset": 0}
    return {"limit": page_size, "offset": (page - 1) * page_size}


def counted(result: Any) -> dict[str, Any]:
    """One page of rows carrying ``matching`` (count(*) OVER ()): the rows and that count."""
    rows = [dict(row._mapping) for row in result]
    matching = rows[0]["matching"] if rows else 0
    return {
        "matching": matching,
        "rows": [{k: v for k, v in r.items() if k != "matching"} for r in rows],
    }
