"""The buyers' classes and scores among the whole company's, over each kept span.

Over a kept span (``handlers/spans.py``), ABC/XYZ, loyalty and RFM of the whole company read
one row per buyer, but must still rank all of them on each request: 50,000 buyers at a
million orders, 150 to 250 ms. A buyer's class or score depends on every other buyer, so an
order cannot move its buyer's alone. Instead ``keep`` (a thread of ``crm-relay``) recomputes
them for every kept span, with the reports' own SQL over one snapshot, once orders have
moved the spans, at most every ``ranks_refresh_seconds``.

Each order that moves the spans logs a change in its own transaction; a refresh deletes the
changes its snapshot saw. The changes left are therefore the orders the ranks miss, and a
report reads the ranks only while none is older than ``customer_sql.MAX_LAG``; otherwise it
ranks the buyers itself (``customer_sql.from_ranks``). A cache of the reports would keep one
answer per page and filter, and the first request after each order would pay the ranking.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import date

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session, sessionmaker

from services.crm.analytics.adapters.tables import (
    CustomerRank,
    CustomerSpanChange,
    CustomerSpanEnd,
)
from services.crm.analytics.domain.periods import Period, add_months
from services.crm.analytics.domain.scope import Scope
from services.crm.analytics.handlers.customer_sql import RANKS, READ_MODEL, customers_cte
from services.crm.analytics.handlers.customers import classes
from services.crm.analytics.handlers.loyalty import DIMENSIONS, segments
from services.crm.analytics.handlers.scope import Filters
from shared import containment
from shared.db import rowcount

log = logging.getLogger(__name__)

LIVE = replace(READ_MODEL, ranks=False)
COLUMNS = ("revenue", "orders", "last_order_at", "cv", "abc", "xyz", "r", "f", "m", "segment")
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


def _rank(session: Session, last_month: date, months: int) -> int:
    """Rank the buyers of one kept span; rows written."""
    period = Period(add_months(last_month, 1 - months), last_month)
    filters = Filters(period, None, Scope(), None)
    sql, params = customers_cte(filters, LIVE)
    sql += classes(filters, params) + segments(filters, params, tuple(DIMENSIONS))
    return rowcount(session.execute(text(sql + _UPSERT), params))


def refresh(session: Session) -> dict[str, int]:
    """Rank the buyers again if orders moved the spans since, or a span kept has no ranks
    yet (a new month); ``{}`` when nothing changed, else the rows written. ``session`` must
    be in a REPEATABLE READ transaction: the spans read and the changes deleted are the same
    snapshot's."""
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
    missing = session.scalar(select(CustomerSpanEnd.months).where(~ranked).exists().select())
    if not changed and not missing:
        return {}
    ends = sorted(session.execute(select(CustomerSpanEnd.last_month, CustomerSpanEnd.months)))
    old = tuple_(CustomerRank.last_month, CustomerRank.months).not_in([tuple(e) for e in ends])
    session.execute(delete(CustomerRank).where(old) if ends else delete(CustomerRank))
    written = sum(_rank(session, end, months) for end, months in ends)
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
