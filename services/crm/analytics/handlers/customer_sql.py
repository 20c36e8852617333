"""SQL shared by the reports on customers: their orders in a report's months and scope.

Each report is one statement over the month aggregates, so PostgreSQL reads them once;
the class thresholds are bound from ``domain/classes.py``, never copied into the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.crm.analytics.handlers.scope import Filters
from services.crm.analytics.handlers.spans import SPANS


@dataclass(frozen=True)
class Sources:
    """Where a customer's months come from: of one kind (a report filtered by kind) and over
    every kind; the read model's tables, or (the benchmark's comparison) the same rows computed
    from the history. ``spans``: the buyers' sums kept over whole spans (``handlers/spans.py``),
    read instead of the months for a report over every kind and a kept span."""

    of_kind: str
    totals: str
    spans: bool = False
    # The buyers' company-wide ranks of a kept span (``handlers/ranks.py``), when fresh.
    ranks: bool = False


READ_MODEL = Sources(
    "crm.analytics_customer_months", "crm.analytics_customer_month_totals", True, True
)
# The ranks are read only while every order they miss is younger than this: figures are never
# further behind the orders, even if the loop that refreshes them stops.
MAX_LAG = timedelta(seconds=4)

# A buyer's sums as every report reads them; the squares exact, then as a float, both ways.
_SPAN_SUMS = """
        SELECT s.counterparty_id, s.revenue, s.orders::numeric AS orders,
               s.squares::float8 AS squares, s.last_order_at
        FROM crm.analytics_customer_spans s {scope}
        WHERE s.last_month = :last_month AND s.months = :span AND (SELECT kept FROM kept)"""
_MONTH_SUMS = """
        SELECT m.counterparty_id, sum(m.revenue) AS revenue, sum(m.orders)::numeric AS orders,
               sum(m.revenue * m.revenue)::float8 AS squares,
               max(m.last_order_at) AS last_order_at
        FROM {source} m {scope}
        WHERE m.month BETWEEN :first_month AND :last_month {kind} {skip}
        GROUP BY m.counterparty_id"""
_KEPT = """
    WITH kept AS (SELECT EXISTS (
        SELECT FROM crm.analytics_customer_span_ends
        WHERE last_month = :last_month AND months = :span) AS kept),"""


def customers_cte(filters: Filters, sources: Sources = READ_MODEL) -> tuple[str, dict[str, Any]]:
    """A ``customers`` CTE: each customer's revenue, orders (numeric), sum of squared monthly
    revenues and last order over the report's months and scope: one row per customer read
    from a kept span, else one aggregation over one row per customer and month."""
    first, last = filters.period.months
    params: dict[str, Any] = {"first_month": first, "last_month": last}
    scope = kind = ""
    if filters.manager_ids is not None:
        scope = (
            "JOIN crm.counterparties cp ON cp.id = {alias}.counterparty_id "
            "AND cp.responsible_id = ANY(:manager_ids)"
        )
        params["manager_ids"] = filters.manager_ids
    source = sources.totals
    if filters.process_kind is not None:
        source, kind = sources.of_kind, "AND m.process_kind = :process_kind"
        params["process_kind"] = filters.process_kind
    spans = sources.spans and kind == "" and filters.period.month_count in SPANS
    skip = "AND NOT (SELECT kept FROM kept)" if spans else ""
    months = _MONTH_SUMS.format(source=source, scope=scope.format(alias="m"), kind=kind, skip=skip)
    if not spans:
        return f"\n    WITH customers AS ({months}\n    )", params
    # One statement decides and reads, so it sees the spans and their ends of one moment
    # (a month's turn commits both at once); the branch not taken is never executed.
    params["span"] = filters.period.month_count
    kept = _SPAN_SUMS.format(scope=scope.format(alias="s"))
    return f"{_KEPT} customers AS ({kept}\n        UNION ALL{months}\n    )", params


def ranked(filters: Filters, sources: Sources) -> bool:
    """Whether a report ranks every buyer over a kept span, so that it may read the ranks."""
    return (
        sources.ranks
        and sources.spans
        and filters.process_kind is None
        and filters.manager_ids is None
        and filters.period.month_count in SPANS
    )


RANKS = "crm.analytics_customer_ranks"


def from_ranks(name: str, read: str, ranking: str, params: dict[str, Any], where: str = "") -> str:
    """CTEs ending in ``name``: ``read`` (a select list over the span's ranks, ``k``) if the
    span is kept and its ranks are fresh, else ``ranking`` of the CTE ``live``, the ranking done
    here. As in ``customers_cte``, one statement decides and reads; one branch is executed."""
    params["max_lag"] = MAX_LAG
    return f""", ready AS (SELECT (SELECT kept FROM kept)
        AND EXISTS (SELECT FROM {RANKS} WHERE last_month = :last_month AND months = :span)
        AND NOT EXISTS (SELECT FROM crm.analytics_customer_span_changes
                        WHERE at < now() - CAST(:max_lag AS interval)) AS ready
    ), {name} AS (
        SELECT {read} FROM {RANKS} k
        WHERE k.last_month = :last_month AND k.months = :span AND (SELECT ready FROM ready) {where}
        UNION ALL
        SELECT {ranking} FROM live WHERE NOT (SELECT ready FROM ready)
    )"""


def thresholds(
    name: str,
    value: str,
    classes: Sequence[tuple[str, float]],
    params: dict[str, Any],
    op: str,
    of: str | None = None,
) -> str:
    """A CASE giving the first class whose limit ``value`` is ``op`` (the last takes the rest).
    ``of``: the limits are shares of this amount, compared exactly (``value < 0.8 * total``
    rather than dividing every row's value by it)."""
    whens = []
    for n, (label, limit) in enumerate(classes[:-1]):
        params[f"{name}_{n}"] = limit
        params[f"{name}_label_{n}"] = label
        bound = f":{name}_{n}" if of is None else f"{of} * CAST(:{name}_{n} AS numeric)"
        whens.append(f"WHEN {value} {op} {bound} THEN :{name}_label_{n}")
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
