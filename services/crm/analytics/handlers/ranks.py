"""The buyers' classes and scores among the whole company's, over each kept span.

Over a kept span (``handlers/spans.py``), ABC/XYZ, loyalty and RFM of the whole company read
one row per buyer, but must still rank all of them on each request: 50,000 buyers at a
million orders, 150 to 250 ms. A buyer's class or score depends on every other buyer, so an
order cannot move its buyer's alone. Instead ``keep`` (a thread of ``crm-relay``) keeps them
for every kept span, once orders have moved the spans, at most every
``ranks_refresh_seconds``, in one snapshot:

- a span without ranks (a new month, a rebuild) has every buyer ranked with the reports' own
  SQL (``_rank``);
- afterwards a refresh reads again the sums of the buyers the orders named, finds the bounds
  of the classes and scores again from indexes, without sorting every buyer, and sets again
  only the classes and scores a bound moved past (``_rerank``): a tenth of the time of ranking
  every buyer again, so an order reaches the ranks within about a second.

Each order that moves the spans logs a change, naming its buyer, in its own transaction; a
refresh deletes the changes its snapshot saw. The changes left are therefore the orders the
ranks miss, and a report reads the ranks only while none is older than
``customer_sql.MAX_LAG``; otherwise it ranks the buyers itself (``customer_sql.from_ranks``).
A cache of the reports would keep one answer per page and filter, and the first request
after each order would pay the ranking.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session, sessionmaker

from services.crm.analytics.adapters.tables import (
    CustomerRank,
    CustomerSpanChange,
    CustomerSpanEnd,
)
from services.crm.analytics.domain.classes import ABC, SCORES
from services.crm.analytics.domain.periods import Period, add_months
from services.crm.analytics.domain.scope import Scope
from services.crm.analytics.handlers.customer_sql import RANKS, READ_MODEL, customers_cte
from services.crm.analytics.handlers.customers import BEFORE, CV, class_of, classes
from services.crm.analytics.handlers.loyalty import (
    DIMENSIONS,
    places,
    score,
    segment_of,
    segments,
)
from services.crm.analytics.handlers.scope import Filters
from shared import containment
from shared.db import rowcount

log = logging.getLogger(__name__)

LIVE = replace(READ_MODEL, ranks=False)
# What a buyer's own orders decide, and what it owes to the other buyers too.
LOCAL = ("revenue", "orders", "last_order_at", "cv", "xyz")
GLOBAL = ("abc", "r", "f", "m", "segment")
COLUMNS = LOCAL + GLOBAL
# A buyer's rank row is written only when it changed: an order moves its buyer's sums and,
# rarely, the classes or scores of buyers near a boundary. Rewriting every row each time
# would leave 90,000 dead rows a refresh behind, and checking each on conflict costs more
# than comparing the two sets at once. No buyer leaves a span but at the month's turn, whose
# new spans are ranked afresh, or by a rebuild, which empties the ranks.
_UPSERT = f"""
    , fresh AS (
        SELECT s.counterparty_id, s.revenue, s.orders, s.last_order_at, f.cv, f.abc, f.xyz,
               s.r, s.f, s.m, s.segment
        FROM segmented s LEFT JOIN final f USING (counterparty_id)
    )
    INSERT INTO {RANKS} AS k (last_month, months, counterparty_id, {", ".join(COLUMNS)})
    SELECT :last_month, :span, n.counterparty_id, {", ".join(f"n.{c}" for c in COLUMNS)}
    FROM fresh n LEFT JOIN {RANKS} o
      ON o.last_month = :last_month AND o.months = :span AND o.counterparty_id = n.counterparty_id
    WHERE ({", ".join(f"o.{c}" for c in COLUMNS)})
        IS DISTINCT FROM ({", ".join(f"n.{c}" for c in COLUMNS)})
    ON CONFLICT (last_month, months, counterparty_id) DO UPDATE
    SET ({", ".join(COLUMNS)}) = ({", ".join(f"excluded.{c}" for c in COLUMNS)})
"""


def _filters(last_month: date, months: int) -> Filters:
    return Filters(Period(add_months(last_month, 1 - months), last_month), None, Scope(), None)


def _rank(session: Session, last_month: date, months: int) -> int:
    """Rank every buyer of one kept span, as the reports do; rows written."""
    filters = _filters(last_month, months)
    sql, params = customers_cte(filters, LIVE)
    sql += classes(filters, params) + segments(filters, params, tuple(DIMENSIONS))
    return rowcount(session.execute(text(sql + _UPSERT), params))


_SPAN = "k.last_month = :last_month AND k.months = :span"


def _moved(params: dict[str, Any]) -> str:
    """The buyers the changes name: their sums, cv and XYZ class, read from their span rows.
    A new buyer's ABC class, scores and segment are left unset (0) for ``_reclassed``."""
    return f"""
    WITH moved AS (
        SELECT s.counterparty_id, s.revenue, s.orders::numeric AS orders,
               s.squares::float8 AS squares, s.last_order_at
        FROM crm.analytics_customer_spans s
        WHERE s.last_month = :last_month AND s.months = :span AND s.counterparty_id IN (
            SELECT counterparty_id FROM crm.analytics_customer_span_changes)
    ), sums AS (
        SELECT *, CASE WHEN revenue > 0 THEN {CV} END AS cv FROM moved
    )
    INSERT INTO {RANKS} AS k (last_month, months, counterparty_id, {", ".join(LOCAL)},
                              r, f, m, segment)
    SELECT :last_month, :span, counterparty_id, revenue, orders, last_order_at, cv,
           CASE WHEN cv IS NOT NULL THEN {class_of("xyz", params)} END, 0, 0, 0, ''
    FROM sums
    ON CONFLICT (last_month, months, counterparty_id) DO UPDATE
    SET ({", ".join(LOCAL)}) = ({", ".join(f"excluded.{c}" for c in LOCAL)})
    WHERE ({", ".join(f"k.{c}" for c in LOCAL)})
        IS DISTINCT FROM ({", ".join(f"excluded.{c}" for c in LOCAL)})"""


def _before(revenue: str, counterparty_id: str) -> str:
    """Whether buyer ``k`` comes before the given one in ranking order."""
    return f"(k.revenue > {revenue} OR (k.revenue = {revenue} AND k.counterparty_id < {counterparty_id}))"


def _past(revenue: str, counterparty_id: str) -> str:
    """Whether buyer ``k`` is the given one or comes after it: a range of the revenue index."""
    return f"k.revenue <= {revenue} AND NOT {_before(revenue, counterparty_id)}"


def _edge(i: int) -> tuple[str, str]:
    """The edge of ABC class ``i`` as bound in the parameters."""
    return f":revenue_{i}", f":id_{i}"


def _score_bounds() -> str:
    """Each score's bounds: the values at a few places in the order of its value, each read
    from the ranks' index on the value from the nearer end, instead of sorting every buyer."""
    return ", ".join(
        f"""ARRAY(SELECT CASE WHEN p <= n / 2
            THEN (SELECT {v} FROM {RANKS} k WHERE {_SPAN} ORDER BY {v} OFFSET p - 1 LIMIT 1)
            ELSE (SELECT {v} FROM {RANKS} k WHERE {_SPAN} ORDER BY {v} DESC OFFSET n - p LIMIT 1)
            END FROM unnest(ARRAY[{places("n")}]) p ORDER BY p) AS {name}"""
        for name, v in DIMENSIONS.items()
    )


def _edges(params: dict[str, Any]) -> str:
    """Where each ABC class but the last ends: the first buyer, in ranking order, whose revenue
    before it reaches the class's share of the total (none: every buyer comes before it, as
    before a buyer of revenue 0). Each is found by a running sum along the revenue index that
    stops there, the next one's starting from the edge before it."""
    edges, columns = [], []
    start, after = "0", ""  # the running sum so far, and where it resumes
    for i, (_, limit) in enumerate(ABC[:-1]):
        params[f"edge_{i}"] = limit
        edges.append(f"""LEFT JOIN LATERAL (
            SELECT revenue, counterparty_id, before FROM (
                SELECT k.revenue, k.counterparty_id, {start} + {BEFORE} AS before
                FROM {RANKS} k WHERE {_SPAN} AND k.revenue > 0 {after}
                ORDER BY k.revenue DESC, k.counterparty_id) w
            WHERE before >= t.total * CAST(:edge_{i} AS numeric)
            ORDER BY revenue DESC, counterparty_id LIMIT 1) e{i} ON true""")
        columns.append(
            f"coalesce(e{i}.revenue, 0) AS revenue_{i}, coalesce(e{i}.counterparty_id, 0) AS id_{i}"
        )
        start, after = f"e{i}.before", f"AND {_past(f'e{i}.revenue', f'e{i}.counterparty_id')}"
    return f"SELECT {', '.join(columns)} FROM totals t {' '.join(edges)}"


def _bounds(params: dict[str, Any]) -> str:
    """The bounds of the span's scores and classes: the values of each score's bounds (an array
    per score) and the edges of the ABC classes."""
    return f"""
    WITH totals AS (
        SELECT count(*) AS n, sum(revenue) FILTER (WHERE revenue > 0) AS total
        FROM {RANKS} k WHERE {_SPAN}
    )
    SELECT * FROM (SELECT {_score_bounds()} FROM totals) c, ({_edges(params)}) e"""


def _cuts(name: str) -> str:
    return f"(ARRAY[{', '.join(f':{name}_{k}' for k in SCORES[:-1])}])"


def _misplaced(params: dict[str, Any]) -> list[str]:
    """Conditions on a rank row ``k``, one range of an index each, that together find every
    buyer whose ABC class or score is not the one the bounds give."""
    found = []
    last = len(ABC) - 1
    for i, (label, _) in enumerate(ABC):
        params[f"class_{i}"] = label
        if i > 0:  # before the edge of the class above: it belongs up there
            found.append(
                f"k.abc = :class_{i} AND k.revenue >= :revenue_{i - 1} AND {_before(*_edge(i - 1))}"
            )
        if i < last:  # at or past its own edge: it belongs below
            found.append(f"k.abc = :class_{i} AND {_past(*_edge(i))}")
    for name, v in DIMENSIONS.items():
        for k in SCORES:
            if k > SCORES[0]:  # not above the bound below its score
                found.append(f"k.{name} = {k} AND k.{v} <= :{name}_{k - 1}")
            if k < SCORES[-1]:  # above its score's bound
                found.append(f"k.{name} = {k} AND k.{v} > :{name}_{k}")
    return found


def _reclassed(params: dict[str, Any]) -> str:
    """The span's buyers whose ABC class or scores are no longer those the bounds in ``params``
    give, and the buyers the changes name, set again; only the rows that differ are written.

    A buyer's class or score moves only when its own sums did, or when a bound moved past its
    value. Each wrong class or score is a range of an index on it and its value (a buyer of
    class A past the A edge, of score 2 above the second bound), so a refresh reads the few
    rows near the bounds instead of every buyer. The bounds are bound as values, so that the
    planner sees how few rows each range holds.
    """
    candidates = " UNION ALL ".join(
        f"SELECT k.* FROM {RANKS} k WHERE {_SPAN} AND {probe}" for probe in _misplaced(params)
    )
    classed = " ".join(f"WHEN {_before(*_edge(i))} THEN :class_{i}" for i in range(len(ABC) - 1))
    scores = ", ".join(
        f"{score(f'k.{v}', _cuts(name))} AS {name}" for name, v in DIMENSIONS.items()
    )
    was = ", ".join(f"k.{c} AS was_{c}" for c in GLOBAL)
    return f"""
    WITH candidates AS (
        SELECT k.* FROM {RANKS} k WHERE {_SPAN}
          AND k.counterparty_id IN (SELECT counterparty_id FROM crm.analytics_customer_span_changes)
        UNION ALL {candidates}
    ), classed AS (
        SELECT DISTINCT ON (k.counterparty_id) k.counterparty_id, {was},
               CASE WHEN k.revenue > 0 THEN CASE {classed} ELSE :class_{len(ABC) - 1} END
               END AS abc, {scores}
        FROM candidates k
    ), fresh AS (
        SELECT *, {segment_of(params)} AS segment FROM classed
        WHERE ({", ".join(f"was_{c}" for c in GLOBAL[:-1])})
            IS DISTINCT FROM ({", ".join(GLOBAL[:-1])})
    )
    UPDATE {RANKS} k SET ({", ".join(GLOBAL)}) = ({", ".join(f"n.{c}" for c in GLOBAL)})
    FROM fresh n WHERE {_SPAN} AND k.counterparty_id = n.counterparty_id"""


def _rerank(session: Session, last_month: date, months: int) -> int:
    """Bring one kept span's ranks up to the changes logged; rows written."""
    params: dict[str, Any] = {"last_month": last_month, "span": months, "months": months}
    written = rowcount(session.execute(text(_moved(params)), params))
    bounds = session.execute(text(_bounds(params)), params).one()._mapping
    for name in DIMENSIONS:
        params |= {f"{name}_{k}": value for k, value in zip(SCORES[:-1], bounds[name], strict=True)}
    params |= {key: bounds[key] for key in bounds if key not in DIMENSIONS}
    return written + rowcount(session.execute(text(_reclassed(params)), params))


def refresh(session: Session) -> dict[str, int]:
    """Bring the ranks up to the orders that moved the spans since, and rank every buyer of a
    span kept that has no ranks yet (a new month, a rebuild); ``{}`` when nothing changed,
    else the rows written. ``session`` must be in a REPEATABLE READ transaction: the spans
    read and the changes deleted are the same snapshot's."""
    # Before the snapshot is taken: a second refresher waits, then finds nothing to do.
    session.execute(text(f"LOCK TABLE {RANKS} IN EXCLUSIVE MODE"))
    # Compiling the ranking's expressions would cost more than it saves, each time.
    session.execute(text("SET LOCAL jit = off"))
    changed = session.scalar(select(CustomerSpanChange.id).exists().select())
    ranked = (
        select(CustomerRank.months)
        .where(
            CustomerRank.last_month == CustomerSpanEnd.last_month,
            CustomerRank.months == CustomerSpanEnd.months,
        )
        .exists()
    )
    ends = sorted(
        session.execute(select(CustomerSpanEnd.last_month, CustomerSpanEnd.months, ranked))
    )
    if not changed and all(has_ranks for _, _, has_ranks in ends):
        return {}
    kept = [(end, months) for end, months, _ in ends]
    old = tuple_(CustomerRank.last_month, CustomerRank.months).not_in(kept)
    session.execute(delete(CustomerRank).where(old) if kept else delete(CustomerRank))
    written = 0
    for end, months, has_ranks in ends:
        if not has_ranks:
            written += _rank(session, end, months)
        elif changed:
            written += _rerank(session, end, months)
    if changed:  # the snapshot's: an order committed since stays, for the next round
        session.execute(delete(CustomerSpanChange))
    return {"rows": written}


def refresh_in(sessions: sessionmaker[Session]) -> dict[str, int]:
    """``refresh`` in a transaction of its own."""
    with sessions() as session, session.begin():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return refresh(session)


def keep(sessions: sessionmaker[Session], every: float, stop: threading.Event) -> None:
    """Refresh the ranks every ``every`` seconds until ``stop`` is set. A failed round is
    logged and the next one tries again; meanwhile the reports rank the buyers themselves."""
    while not stop.wait(every):
        started = time.monotonic()
        try:
            written = refresh_in(sessions)
        except Exception as exc:
            containment.backoff(exc, "buyers' ranks")
            continue
        if written:
            seconds = round(time.monotonic() - started, 3)
            log.debug("buyers' ranks refreshed", extra={**written, "seconds": seconds})
