"""Loyalty: repeat purchases, RFM segments, customers going dormant, loyalty cards in use."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty
from services.crm.analytics.adapters.records import LoyaltyCard
from services.crm.analytics.adapters.tables import CardMonth
from services.crm.analytics.domain.classes import (
    DORMANT_MIN_DAYS,
    RFM_SEGMENTS,
    SCORES,
    rfm_segment,
)
from services.crm.analytics.domain.ranking import share
from services.crm.analytics.handlers.customer_sql import (
    READ_MODEL,
    Sources,
    counted,
    customers_cte,
    from_ranks,
    page_params,
    ranked,
)
from services.crm.analytics.handlers.customers import CUSTOMERS, DORMANT_WHERE, dormant_params
from services.crm.analytics.handlers.scope import Filters
from shared.db import utcnow

RFM_COLUMNS = (
    "counterparty_id",
    "name",
    "responsible_id",
    "recency_days",
    "orders",
    "revenue",
    "r",
    "f",
    "m",
    "segment",
)
SEGMENT_COLUMNS = ("segment", "customers", "share", "revenue")
CARD_COLUMNS = (
    "card_id",
    "number",
    "counterparty_id",
    "holder",
    "discount_percent",
    "valid_from",
    "valid_to",
    "blocked",
    "orders",
    "amount",
    "discount",
)


# Each score and the value it ranks: recency by the last order, frequency, monetary value.
DIMENSIONS = {"r": "last_order_at", "f": "orders", "m": "revenue"}


def scored(
    filters: Filters, source: Sources, scores: tuple[str, ...] = tuple(DIMENSIONS)
) -> tuple[str, dict[str, Any]]:
    """SQL ending in ``segmented``: each buyer of the period with its ``scores`` (R and F at
    least) and segment; read from the buyers' ranks among the company's when they are fresh."""
    ranks = ranked(filters, source)
    sql, params = customers_cte(filters, source)
    sql += segments(filters, params, scores, "live" if ranks else "segmented")
    if ranks:
        columns = ("counterparty_id", "orders", "revenue", "last_order_at", *scores, "segment")
        sql += from_ranks("segmented", ", ".join(columns), ", ".join(columns), params)
    return sql, params


def segments(
    filters: Filters, params: dict[str, Any], scores: tuple[str, ...], name: str = "segmented"
) -> str:
    """CTEs after ``customers`` ending in ``name``: its buyers' ``scores`` and segments."""
    params["as_of"] = min(utcnow(), filters.period.end_instant)
    segment = segment_of(params)
    # A score is 1 + floor(5 * percent_rank), at most 5 (domain/classes.py), where percent_rank
    # is the share of the other buyers with a lower value. Rather than rank every buyer in
    # each dimension, its values are sorted once: a buyer scores above k when more than
    # ceil(k * (n - 1) / 5) buyers have a lower value, that is, when its value exceeds the
    # value at that place. Ties stay exact: a value never exceeds an equal one.
    values = {score: DIMENSIONS[score] for score in scores}
    sorted_ = ", ".join(f"array_agg({v} ORDER BY {v}) AS {s}" for s, v in values.items())
    cuts = ", ".join(f"array_agg({s}[place] ORDER BY place) AS {s}" for s in values)
    scored = ", ".join(f"{score('c.' + v, 'k.' + s)} AS {s}" for s, v in values.items())
    return f""", sorted AS (
        SELECT count(*) AS n, {sorted_} FROM customers
    ), cuts AS (
        SELECT {cuts} FROM sorted, unnest(ARRAY[{places("n")}]) place
    ), scored AS MATERIALIZED (  -- each score computed once, however often it is read
        SELECT c.counterparty_id, c.orders, c.revenue, c.last_order_at, {scored}
        FROM customers c, cuts k
    ), {name} AS (
        SELECT *, {segment} AS segment FROM scored
    )"""


def segment_of(params: dict[str, Any]) -> str:
    """The segment of a buyer's scores ``r`` and ``f``: looked up, not tested."""
    params["segments"] = [rfm_segment(r, f) for r in SCORES for f in SCORES]
    return f"(CAST(:segments AS text[]))[(r - 1) * {len(SCORES)} + f]"


def places(n: str) -> str:
    """The places, among ``n`` values in order, of the values a score's bounds are."""
    return ", ".join(
        f"greatest(1, ceil({k} * ({n} - 1) / {len(SCORES)}.0)::int)" for k in SCORES[:-1]
    )


def score(value: str, cuts: str) -> str:
    """A score of ``value``: 1, and one more for each of the array ``cuts`` it exceeds."""
    return "1 + " + " + ".join(f"({value} > {cuts}[{k}])::int" for k in SCORES[:-1])


def loyalty(
    session: Session,
    filters: Filters,
    *,
    min_days: int = DORMANT_MIN_DAYS,
    source: Sources = READ_MODEL,
) -> dict:
    """Buyers, repeat buyers and their rate, RFM segments, dormant buyers, card use."""
    sql, params = scored(filters, source, ("r", "f"))  # segments need no monetary score
    sql += """
    SELECT (SELECT count(*) FROM segmented) AS buyers,
           (SELECT count(*) FROM segmented WHERE orders >= 2) AS repeat_buyers,
           (SELECT json_agg(s) FROM (
               SELECT segment, count(*) AS customers, sum(revenue)::text AS revenue
               FROM segmented GROUP BY segment ORDER BY segment) s) AS segments
    """
    found = session.execute(text(sql), params).one()
    segments = {s["segment"]: s for s in found.segments or []}
    dormant = session.scalar(
        text("SELECT count(*) " + DORMANT_WHERE.format(customers=CUSTOMERS)),
        dormant_params(filters, params["as_of"], min_days),
    )
    return {
        "filters": filters.echo(),
        "buyers": found.buyers,
        "repeat_buyers": found.repeat_buyers,
        "repeat_rate": share(found.repeat_buyers, found.buyers),
        "dormant": dormant,
        "cards": _card_totals(session, filters),
        "rows": [
            {
                "segment": name,
                "customers": segments.get(name, {}).get("customers", 0),
                "share": share(segments.get(name, {}).get("customers", 0), found.buyers),
                "revenue": Decimal(segments.get(name, {}).get("revenue", "0.00")),
            }
            for name, _, _ in RFM_SEGMENTS
        ],
    }


def rfm(
    session: Session,
    filters: Filters,
    *,
    segment: str | None = None,
    page: int | None = 1,
    page_size: int = 50,
    source: Sources = READ_MODEL,
) -> dict:
    """Buyers with their recency, frequency and monetary scores, largest first."""
    sql, params = scored(filters, source)
    params |= {"segment": segment, **page_params(page, page_size)}
    sql += """
    SELECT s.counterparty_id, cp.name, cp.responsible_id,
           round((extract(epoch FROM :as_of - s.last_order_at) / 86400)::numeric, 1)::float8
               AS recency_days,
           s.orders, s.revenue, s.r, s.f, s.m, s.segment, s.matching
    FROM (SELECT *, count(*) OVER () AS matching FROM segmented
          WHERE CAST(:segment AS text) IS NULL OR segment = :segment
          ORDER BY revenue DESC, counterparty_id
          LIMIT :limit OFFSET :offset) s  -- the page first, then only its names
    JOIN crm.counterparties cp ON cp.id = s.counterparty_id
    ORDER BY s.revenue DESC, s.counterparty_id
    """
    return {"filters": filters.echo(), **counted(session.execute(text(sql), params))}


def _card_use(filters: Filters):
    first, last = filters.period.months
    use = (
        select(
            CardMonth.card_id,
            func.sum(CardMonth.orders).label("orders"),
            func.sum(CardMonth.amount).label("amount"),
            func.sum(CardMonth.discount).label("discount"),
        )
        .where(CardMonth.month.between(first, last))
        .group_by(CardMonth.card_id)
    )
    if filters.manager_ids is not None:
        use = use.join(LoyaltyCard, LoyaltyCard.id == CardMonth.card_id).join(
            Counterparty, Counterparty.id == LoyaltyCard.counterparty_id
        )
        use = use.where(Counterparty.responsible_id.in_(filters.manager_ids))
    return use.subquery()


def _card_totals(session: Session, filters: Filters) -> dict[str, Any]:
    use = _card_use(filters)
    found = session.execute(
        select(
            func.count(use.c.card_id),
            func.coalesce(func.sum(use.c.orders), 0),
            func.coalesce(func.sum(use.c.discount), 0),
        )
    ).one()
    return {"used": found[0], "orders": found[1], "discount": found[2]}


def cards(session: Session, filters: Filters, *, page: int | None = 1, page_size: int = 50) -> dict:
    """The cards in scope with their use in orders over the period's months, by number."""
    use = _card_use(filters)
    stmt = (
        select(
            LoyaltyCard.id.label("card_id"),
            LoyaltyCard.number,
            LoyaltyCard.counterparty_id,
            Counterparty.name.label("holder"),
            LoyaltyCard.discount_percent,
            LoyaltyCard.valid_from,
            LoyaltyCard.valid_to,
            LoyaltyCard.blocked,
            func.coalesce(use.c.orders, 0).label("orders"),
            func.coalesce(use.c.amount, 0).label("amount"),
            func.coalesce(use.c.discount, 0).label("discount"),
            func.count().over().label("matching"),
        )
        .join(Counterparty, Counterparty.id == LoyaltyCard.counterparty_id)
        .outerjoin(use, use.c.card_id == LoyaltyCard.id)
        .order_by(LoyaltyCard.number)
    )
    if filters.manager_ids is not None:
        stmt = stmt.where(Counterparty.responsible_id.in_(filters.manager_ids))
    if page is not None:
        stmt = stmt.limit(page_size).offset((page - 1) * page_size)
    return {"filters": filters.echo(), **counted(session.execute(stmt))}
