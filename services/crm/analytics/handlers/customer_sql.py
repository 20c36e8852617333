"""SQL shared by the reports on customers: their orders in a report's months and scope.

Each report is one statement over the month aggregates, so PostgreSQL reads them once;
the class thresholds are bound from ``domain/classes.py``, never copied into the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.crm.analytics.handlers.scope import Filters

READ_MODEL = "crm.analytics_customer_months"


def customers_cte(
    filters: Filters, source: str = READ_MODEL, *, by_month: bool = True
) -> tuple[str, dict[str, Any]]:
    """``monthly`` (per customer and month) and ``customers`` (per customer) CTEs.

    ``source`` is where the months of orders come from: the read model, or (the benchmark's
    comparison) the same rows computed from the history. ``by_month=False`` leaves out
    ``monthly`` and ``customers.squares`` (only the variation of monthly amounts needs them):
    the customers are then summed straight from the months, one aggregation instead of two,
    with the same figures and types.
    """
    first, last = filters.period.months
    params: dict[str, Any] = {"first_month": first, "last_month": last}
    scope = kind = ""
    if filters.manager_ids is not None:
        scope = (
            "JOIN crm.counterparties cp ON cp.id = m.counterparty_id "
            "AND cp.responsible_id = ANY(:manager_ids)"
        )
        params["manager_ids"] = filters.manager_ids
    if filters.process_kind is not None:
        kind = "AND m.process_kind = :process_kind"
        params["process_kind"] = filters.process_kind
    months = f"FROM {source} m {scope} WHERE m.month BETWEEN :first_month AND :last_month {kind}"
    if not by_month:
        sql = f"""
    WITH customers AS (
        SELECT m.counterparty_id, sum(m.revenue) AS revenue, sum(m.orders)::numeric AS orders,
               max(m.last_order_at) AS last_order_at
        {months}
        GROUP BY m.counterparty_id
    )"""
        return sql, params
    sql = f"""
    WITH monthly AS (
        SELECT m.counterparty_id, m.month, sum(m.revenue) AS revenue, sum(m.orders) AS orders,
               max(m.last_order_at) AS last_order_at
        {months}
        GROUP BY m.counterparty_id, m.month
    ), customers AS (
        SELECT counterparty_id, sum(revenue) AS revenue, sum(orders) AS orders,
               sum(revenue::float8 * revenue::float8) AS squares,
               max(last_order_at) AS last_order_at
        FROM monthly GROUP BY counterparty_id
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
