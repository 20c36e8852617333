"""ABC/XYZ of customers by their revenue, and the customers going dormant."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.crm.analytics.domain.classes import ABC, DORMANT_FACTOR, DORMANT_MIN_DAYS, XYZ
from services.crm.analytics.handlers.customer_sql import (
    READ_MODEL,
    Sources,
    counted,
    customers_cte,
    from_ranks,
    page_params,
    ranked,
    thresholds,
)
from services.crm.analytics.handlers.scope import Filters
from shared.db import utcnow

ABC_COLUMNS = (
    "counterparty_id",
    "name",
    "responsible_id",
    "revenue",
    "orders",
    "share",
    "cumulative_share",
    "abc",
    "cv",
    "xyz",
)


# A buyer's revenue before it in the ranking, and the variation of its monthly revenue (from
# its sum of squares), both over the buyers only (revenue > 0).
BEFORE = """coalesce(sum(revenue) OVER (ORDER BY revenue DESC, counterparty_id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"""
CV = """sqrt(greatest(squares / :months - (revenue::float8 / :months) ^ 2, 0))
                   / (revenue::float8 / :months)"""


FINAL = "counterparty_id, revenue, orders, before, cv, abc, xyz"
# The same from the ranks, which do not keep ``before`` (an order would change it for most
# buyers): summed in order along the ranks' index on revenue.
FINAL_RANKED = f"k.counterparty_id, k.revenue, k.orders, {BEFORE} AS before, k.cv, k.abc, k.xyz"


def classified(filters: Filters, source: Sources = READ_MODEL) -> tuple[str, dict[str, Any]]:
    """SQL ending in ``final``: every customer with revenue, the revenue of the customers
    before it, its classes and cv (shares are computed for the rows shown only);
    read from the buyers' ranks among the company's when they are fresh."""
    ranks = ranked(filters, source)
    sql, params = customers_cte(filters, source)
    sql += classes(filters, params, "live" if ranks else "final")
    if ranks:
        sql += from_ranks("final", FINAL_RANKED, FINAL, params, "AND k.revenue > 0")
    return sql, params


def class_of(name: str, params: dict[str, Any]) -> str:
    """The CASE of a buyer's ABC class (``name`` "abc": by ``before`` against ``total``) or
    XYZ class (``name`` "xyz": by ``cv``), its thresholds bound in ``params``."""
    if name == "abc":
        return thresholds("abc", "before", ABC, params, "<", of="total")
    return thresholds("xyz", "cv", XYZ, params, "<=")


def classes(filters: Filters, params: dict[str, Any], name: str = "final") -> str:
    """CTEs after ``customers`` ending in ``name``: the classes of its buyers, ranked here."""
    params["months"] = filters.period.month_count
    return f""", buyers AS (SELECT * FROM customers WHERE revenue > 0
    ), total AS (SELECT sum(revenue) AS total FROM buyers
    ), ranked AS (
        SELECT c.counterparty_id, c.revenue, c.orders, {BEFORE} AS before, {CV} AS cv
        FROM buyers c
    ), {name} AS (
        SELECT r.*, {class_of("abc", params)} AS abc, {class_of("xyz", params)} AS xyz
        FROM ranked r, total t
    )"""


def abc_xyz(
    session: Session,
    filters: Filters,
    *,
    abc: str | None = None,
    xyz: str | None = None,
    page: int | None = 1,
    page_size: int = 50,
    source: Sources = READ_MODEL,
) -> dict[str, Any]:
    """The matrix of classes and one page of customers (all of them for an export)."""
    sql, params = classified(filters, source)
    params |= {"abc": abc, "xyz": xyz, **page_params(page, page_size)}
    sql += """
    SELECT
      (SELECT json_agg(m) FROM (
          SELECT abc, xyz, count(*) AS customers, sum(revenue)::text AS revenue
          FROM final GROUP BY abc, xyz ORDER BY abc, xyz) m) AS matrix,
      (SELECT count(*) FROM final
       WHERE (CAST(:abc AS text) IS NULL OR abc = :abc)
         AND (CAST(:xyz AS text) IS NULL OR xyz = :xyz)) AS matching,
      (SELECT json_agg(p ORDER BY f.revenue DESC, f.counterparty_id)
       FROM (SELECT * FROM final
             WHERE (CAST(:abc AS text) IS NULL OR abc = :abc)
               AND (CAST(:xyz AS text) IS NULL OR xyz = :xyz)
             ORDER BY revenue DESC, counterparty_id
             LIMIT :limit OFFSET :offset) f  -- the page first, then only its names
       JOIN crm.counterparties cp ON cp.id = f.counterparty_id
       CROSS JOIN (SELECT sum(revenue) AS total FROM final) t
       CROSS JOIN LATERAL (
          SELECT f.counterparty_id, cp.name, cp.responsible_id, f.revenue::text AS revenue,
                 f.orders, round(f.revenue / t.total, 6)::float8 AS share,
                 round((f.before + f.revenue) / t.total, 6)::float8 AS cumulative_share, f.abc,
                 round(f.cv::numeric, 4)::float8 AS cv, f.xyz) p) AS page
    """
    found = session.execute(text(sql), params).one()
    matrix = [{**cell, "revenue": Decimal(cell["revenue"])} for cell in found.matrix or []]
    return {
        "filters": filters.echo(),
        "months": filters.period.month_count,
        "customers": sum(cell["customers"] for cell in matrix),
        "revenue": sum((cell["revenue"] for cell in matrix), Decimal("0.00")),
        "matrix": matrix,
        "matching": found.matching,
        "rows": [{**row, "revenue": Decimal(row["revenue"])} for row in found.page or []],
    }


DORMANT_COLUMNS = (
    "counterparty_id",
    "name",
    "responsible_id",
    "orders",
    "revenue",
    "first_order_at",
    "last_order_at",
    "average_gap_days",
    "days_since_last",
)

CUSTOMERS = "crm.analytics_customers"
DORMANT_WHERE = """
    FROM {customers} c JOIN crm.counterparties cp ON cp.id = c.counterparty_id
    WHERE c.orders >= 2 AND c.last_order_at <= :as_of
      AND :as_of - c.last_order_at > greatest(
          make_interval(days => :min_days),
          :factor * (c.last_order_at - c.first_order_at) / (c.orders - 1))
      AND (CAST(:manager_ids AS int[]) IS NULL OR cp.responsible_id = ANY(:manager_ids))
"""
DORMANT = (
    """
    SELECT c.counterparty_id, cp.name, cp.responsible_id, c.orders, c.revenue,
           c.first_order_at, c.last_order_at,
           round((extract(epoch FROM c.last_order_at - c.first_order_at) / 86400
                  / (c.orders - 1))::numeric, 1)::float8 AS average_gap_days,
           round((extract(epoch FROM :as_of - c.last_order_at) / 86400)::numeric, 1)::float8
               AS days_since_last,
           count(*) OVER () AS matching
    """
    + DORMANT_WHERE
    + """
    ORDER BY c.revenue DESC, c.counterparty_id
    LIMIT :limit OFFSET :offset
"""
)


def dormant_params(filters: Filters, as_of: datetime, min_days: int) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "min_days": min_days,
        "factor": DORMANT_FACTOR,
        "manager_ids": filters.manager_ids,
    }


def dormant(
    session: Session,
    filters: Filters,
    *,
    min_days: int = DORMANT_MIN_DAYS,
    page: int | None = 1,
    page_size: int = 50,
    source: str = CUSTOMERS,
) -> dict[str, Any]:
    """Repeat buyers silent for longer than twice their usual interval, largest first."""
    as_of = min(utcnow(), filters.period.end_instant)
    params = {**dormant_params(filters, as_of, min_days), **page_params(page, page_size)}
    found = session.execute(text(DORMANT.format(customers=source)), params)
    return {
        "filters": {**filters.echo(), "from": None},
        "as_of": as_of,
        "min_days": min_days,
        **counted(found),
    }
