"""Each buyer's orders over the rolling spans the buyers' reports are asked for most.

ABC/XYZ, loyalty and RFM over a whole company's year add up every buyer's months: at 1M
orders, 260,000 month rows into 50,000 buyers on each request. For the spans in ``SPANS``
ending this month (the reports' default twelve months, and the last quarter) each buyer's
sums are kept as one row, moved by every order in the order's transaction like the months
(``order_added``). At each month's turn ``shift`` recomputes them for the new month from the
months; until it has run, the reports add up the months as before (``customer_sql``).

A materialized view refreshed by a routine would recount every buyer each time and lag by
its refresh; these rows cost one statement per order and are never behind.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from services.crm.analytics.adapters.rebuild import span_rows
from services.crm.analytics.adapters.tables import CustomerSpan, CustomerSpanEnd
from services.crm.analytics.domain.periods import month_of
from shared.db import rowcount

# Months of the spans kept, each ending with the current month.
SPANS = (3, 12)

# The order is also logged as a change of the spans, so that their ranks (handlers/ranks.py)
# are known to miss it until the next refresh.
_ADD = text("""
WITH added AS (
INSERT INTO crm.analytics_customer_spans AS s
    (last_month, months, counterparty_id, orders, revenue, squares, last_order_at)
SELECT e.last_month, e.months, t.counterparty_id, 1, :amount,
       :amount * (2 * t.revenue - :amount), :at  -- the month's square after, less before
FROM crm.analytics_customer_span_ends e, crm.analytics_customer_month_totals t
WHERE t.counterparty_id = :counterparty_id AND t.month = :month
  AND :month > e.last_month - make_interval(months => e.months) AND :month <= e.last_month
ON CONFLICT (last_month, months, counterparty_id) DO UPDATE
SET orders = s.orders + excluded.orders, revenue = s.revenue + excluded.revenue,
    squares = s.squares + excluded.squares,
    last_order_at = greatest(s.last_order_at, excluded.last_order_at)
RETURNING 1
)
INSERT INTO crm.analytics_customer_span_changes (at, counterparty_id)
SELECT now(), :counterparty_id WHERE EXISTS (SELECT FROM added)
""")


def order_added(
    session: Session, counterparty_id: int, month: date, amount: Decimal, at: datetime
) -> None:
    """Add an order to the buyer's spans that cover its month; call it after adding the order
    to the buyer's month over every kind, whose new revenue gives the change of its square."""
    params = {"counterparty_id": counterparty_id, "month": month, "amount": amount, "at": at}
    session.execute(_ADD, params)


def _ends(session: Session) -> set[tuple[date, int]]:
    return set(session.execute(select(CustomerSpanEnd.last_month, CustomerSpanEnd.months)).all())


def shift(session: Session, today: date) -> dict[str, int]:
    """Make the kept spans end with ``today``'s month (UTC), computed from the months; nothing
    to do (no lock taken) when they already do. Returns the buyers' rows written.

    The spans are locked against orders while they are recomputed: an order committed before
    is in the months read, one committed after adds to the new rows; reports read the old
    ones until the commit."""
    wanted = {(month_of(today), months) for months in SPANS}
    if _ends(session) == wanted:
        return {"rows": 0}
    session.execute(text("LOCK TABLE crm.analytics_customer_spans IN EXCLUSIVE MODE"))
    if _ends(session) == wanted:  # another run shifted them while this one waited
        return {"rows": 0}
    session.execute(delete(CustomerSpan))
    session.execute(delete(CustomerSpanEnd))
    session.execute(insert(CustomerSpanEnd), [{"last_month": m, "months": n} for m, n in wanted])
    months = "SELECT * FROM crm.analytics_customer_month_totals"
    columns = "last_month, months, counterparty_id, orders, revenue, squares, last_order_at"
    insert_rows = f"INSERT INTO crm.analytics_customer_spans ({columns}) {span_rows(months)}"
    return {"rows": rowcount(session.execute(text(insert_rows)))}
