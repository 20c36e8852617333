"""The buyers' spans: kept by each order as the recorder adds it, moved at the month's turn,
and read by ABC/XYZ, loyalty and RFM with the same figures as adding up the months."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from services.crm.analytics.adapters.tables import CustomerSpan, CustomerSpanEnd
from services.crm.analytics.domain.periods import Period
from services.crm.analytics.domain.scope import Scope
from services.crm.analytics.handlers import customers, loyalty, recorder, spans
from services.crm.analytics.handlers.customer_sql import READ_MODEL
from services.crm.analytics.handlers.scope import Filters
from services.crm.handlers.routines import run_routine
from shared.db import transaction, utcnow
from tests import factories
from tests.integration.crm.analytics.support import read_model, rebuilt

MONTHS_ONLY = replace(READ_MODEL, spans=False)
# Two buyers' orders before the spans are first kept: (buyer, routed at, amount).
BEFORE = [
    (0, datetime(2025, 3, 20, 9, tzinfo=UTC), "500"),  # before both spans ending March 2026
    (0, datetime(2025, 12, 5, 9, tzinfo=UTC), "70"),  # in the year only
    (0, datetime(2026, 1, 10, 9, tzinfo=UTC), "40"),
    (1, datetime(2026, 3, 2, 9, tzinfo=UTC), "15.50"),
]


@pytest.fixture()
def buyers(admin, sessions, settings):
    with transaction(sessions) as session:
        item, ids = factories.buyers(session, admin.id, settings, ["B0", "B1", "B2"])
    return item, ids


def route(sessions, item: int, orders: list[tuple[int, datetime, str]], ids: list[int]) -> None:
    """Orders reaching execution one by one, each added by the recorder as a routing adds it."""
    for buyer, when, amount in orders:
        with transaction(sessions) as session:
            route_in(session, item, ids[buyer], when, amount)


def route_in(session, item: int, counterparty_id: int, when: datetime, amount: str) -> None:
    """An order reaching execution in ``session``'s transaction, added by the recorder."""
    order = factories.routed_order(session, counterparty_id, [(item, "1", amount)], when)
    recorder.order_routed(session, order)


def shift(sessions, today: date) -> int:
    with transaction(sessions) as session:
        return spans.shift(session, today)["rows"]


def ends(sessions) -> set[tuple[date, int]]:
    with sessions() as session:
        return set(session.execute(select(CustomerSpanEnd.last_month, CustomerSpanEnd.months)))


def reports(sessions, period: Period, source) -> list[dict]:
    filters = Filters(period, None, Scope(), None)
    with sessions() as session:
        return [
            customers.abc_xyz(session, filters, source=source),
            loyalty.loyalty(session, filters, source=source),
            loyalty.rfm(session, filters, source=source),
        ]


def test_each_order_moves_the_spans_of_its_month_and_the_reports_read_them(buyers, sessions):
    item, ids = buyers
    route(sessions, item, BEFORE, ids)
    assert shift(sessions, date(2026, 3, 15)) == 4  # buyers 0 and 1, each in both spans
    assert ends(sessions) == {(date(2026, 3, 1), 3), (date(2026, 3, 1), 12)}
    assert shift(sessions, date(2026, 3, 31)) == 0  # kept already: nothing to do
    later = [
        (1, datetime(2026, 3, 20, 9, tzinfo=UTC), "4.50"),  # the same buyer and month again
        (0, datetime(2026, 1, 25, 9, tzinfo=UTC), "60"),  # a month inside both spans
        (2, datetime(2025, 12, 31, 23, tzinfo=UTC), "30"),  # inside the year only
        (2, datetime(2025, 2, 1, 9, tzinfo=UTC), "99"),  # inside neither
    ]
    route(sessions, item, later, ids)
    kept = read_model(sessions)
    assert kept["analytics_customer_spans"] and rebuilt(sessions) == kept
    with sessions() as session:
        rows = session.execute(
            select(CustomerSpan.months, CustomerSpan.counterparty_id, CustomerSpan.revenue)
            .where(CustomerSpan.counterparty_id.in_(ids[1:]))
            .order_by(CustomerSpan.months, CustomerSpan.counterparty_id)
        ).all()
    # Buyer 1: 15.50 + 4.50 in March, one month squared: 20^2. Buyer 2: December only.
    assert [tuple(r) for r in rows] == [(3, ids[1], 20), (12, ids[1], 20), (12, ids[2], 30)]
    with sessions() as session:
        squares = session.scalar(
            select(CustomerSpan.squares).where(
                CustomerSpan.months == 3, CustomerSpan.counterparty_id == ids[1]
            )
        )
    assert squares == 400
    for period in (
        Period(date(2026, 1, 1), date(2026, 3, 31)),
        Period(date(2025, 4, 1), date(2026, 3, 15)),
    ):
        read = reports(sessions, period, READ_MODEL)
        assert read == reports(sessions, period, MONTHS_ONLY)
        assert read[0]["customers"] == (2 if period.month_count == 3 else 3)


def test_the_turn_of_the_month_moves_the_spans_and_reports_between_read_the_months(
    buyers, sessions
):
    item, ids = buyers
    route(sessions, item, BEFORE, ids)
    shift(sessions, date(2026, 3, 15))
    april = Period(date(2026, 2, 1), date(2026, 4, 30))
    before_turn = reports(sessions, april, READ_MODEL)  # no span ends in April yet: the months
    assert before_turn == reports(sessions, april, MONTHS_ONLY)
    assert shift(sessions, date(2026, 4, 1)) == 3  # buyer 0 is in the year only now
    assert ends(sessions) == {(date(2026, 4, 1), 3), (date(2026, 4, 1), 12)}
    route(sessions, item, [(2, datetime(2026, 4, 2, 9, tzinfo=UTC), "80")], ids)
    kept = read_model(sessions)
    assert rebuilt(sessions) == kept
    assert {(r[1], r[2]) for r in kept["analytics_customer_spans"] if r[1] == 3} == {
        (3, ids[1]),
        (3, ids[2]),
    }
    assert reports(sessions, april, READ_MODEL) == reports(sessions, april, MONTHS_ONLY)
    # March's spans are gone: a quarter to March is added up from the months again.
    march = Period(date(2026, 1, 1), date(2026, 3, 31))
    assert reports(sessions, march, READ_MODEL) == reports(sessions, march, MONTHS_ONLY)


def test_the_routine_keeps_the_spans_of_the_current_month(buyers, sessions, settings):
    item, ids = buyers
    route(sessions, item, [(0, utcnow(), "10")], ids)
    with transaction(sessions) as session:
        assert run_routine(session, "shift_customer_spans", "now", settings) == {"rows": 2}
    this_month = utcnow().date().replace(day=1)
    assert ends(sessions) == {(this_month, 3), (this_month, 12)}
