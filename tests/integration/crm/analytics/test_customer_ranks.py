"""The buyers' company-wide ranks: read by the whole company's ABC/XYZ, loyalty and RFM over a
kept span while they are at most MAX_LAG behind the orders, recomputed once orders moved the
spans, and never missing an order committed while they were being recomputed."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from services.crm.analytics.adapters.rebuild import rebuild
from services.crm.analytics.adapters.tables import CustomerRank, CustomerSpanChange
from services.crm.analytics.domain.periods import Period
from services.crm.analytics.handlers import ranks
from services.crm.analytics.handlers.customer_sql import MAX_LAG, READ_MODEL
from shared.db import transaction
from tests import factories
from tests.integration.crm.analytics.test_customer_spans import (
    BEFORE,
    reports,
    route,
    route_in,
    shift,
)

ON_THE_FLY = replace(READ_MODEL, ranks=False)
QUARTER = Period(date(2026, 1, 1), date(2026, 3, 31))
YEAR = Period(date(2025, 4, 1), date(2026, 3, 31))


@pytest.fixture()
def ranked(admin, sessions, settings):
    """Two buyers' orders (a third buyer has none yet), their spans kept for March 2026, and
    the buyers ranked."""
    with transaction(sessions) as session:
        item, ids = factories.buyers(session, admin.id, settings, ["B0", "B1", "B2"])
    route(sessions, item, BEFORE, ids)
    shift(sessions, date(2026, 3, 15))
    assert ranks.refresh_in(sessions)
    return item, ids


def revenue(sessions, period: Period, source=READ_MODEL) -> str:
    return str(reports(sessions, period, source)[0]["revenue"])


def pending(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(CustomerSpanChange))


def age_changes(sessions, by: timedelta) -> None:
    with transaction(sessions) as session:
        session.execute(update(CustomerSpanChange).values(at=CustomerSpanChange.at - by))


def rows(session) -> set[tuple]:
    return set(session.execute(select(CustomerRank.__table__)))


def ranked_afresh(sessions) -> set[tuple]:
    """The ranks of every buyer ranked anew from the spans, as at a month's turn (rolled back)."""
    with sessions() as session, session.begin():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(delete(CustomerRank))
        ranks.refresh(session)
        afresh = rows(session)
        session.rollback()
    return afresh


def test_the_ranks_kept_up_order_by_order_equal_ranking_every_buyer_afresh(
    admin, sessions, settings
):
    """A refresh recomputes the buyers the orders named and re-classes only the others whose
    class or score moved: after every round of orders (new buyers, ties, orders outside the
    quarter or both spans) its ranks are those of ranking every buyer anew."""
    rng = random.Random(2026)
    with transaction(sessions) as session:
        item, ids = factories.buyers(session, admin.id, settings, [f"B{n}" for n in range(24)])
    amounts = ("7.50", "10", "25", "25", "40", "100")  # repeated amounts: equal values tie

    def orders(buyers: range, n: int) -> list[tuple[int, datetime, str]]:
        # From a month before the year (outside both spans) to March 2026.
        months = [(2025, m) for m in range(3, 13)] + [(2026, m) for m in range(1, 4)]
        picked = [(rng.choice(buyers), rng.choice(months)) for _ in range(n)]
        return [
            (b, datetime(y, m, rng.randint(1, 28), 9, tzinfo=UTC), rng.choice(amounts))
            for b, (y, m) in picked
        ]

    route(sessions, item, orders(range(12), 30), ids)  # half the buyers have a history
    shift(sessions, date(2026, 3, 15))
    ranks.refresh_in(sessions)
    others_moved = 0
    for _ in range(8):
        with sessions() as session:
            before = rows(session)
        round_ = orders(range(24), rng.randint(1, 4))
        route(sessions, item, round_, ids)
        assert ranks.refresh_in(sessions)
        assert pending(sessions) == 0
        with sessions() as session:
            after = rows(session)
        assert after == ranked_afresh(sessions)
        named = {ids[b] for b, _, _ in round_}
        others_moved += len({r[2] for r in after - before} - named)
    # The rounds moved other buyers' classes or scores too, not only the ordering buyers'.
    assert others_moved > 0


def test_reports_read_the_ranks_until_an_order_they_miss_is_older_than_the_lag(ranked, sessions):
    item, ids = ranked
    for period in (QUARTER, YEAR):
        assert reports(sessions, period, READ_MODEL) == reports(sessions, period, ON_THE_FLY)
    assert ranks.refresh_in(sessions) == {}  # nothing changed: nothing rewritten
    assert revenue(sessions, QUARTER) == "55.50"  # 40 + 15.50
    route(sessions, item, [(2, datetime(2026, 3, 3, 9, tzinfo=UTC), "30")], ids)
    assert pending(sessions) == 1
    # Within the lag the ranks are read, as they were before the order.
    assert revenue(sessions, QUARTER) == "55.50"
    assert revenue(sessions, QUARTER, ON_THE_FLY) == "85.50"
    age_changes(sessions, MAX_LAG + timedelta(seconds=1))
    # Older: the report ranks the buyers itself and shows the order.
    assert reports(sessions, QUARTER, READ_MODEL) == reports(sessions, QUARTER, ON_THE_FLY)
    assert revenue(sessions, QUARTER) == "85.50"
    assert ranks.refresh_in(sessions)
    assert pending(sessions) == 0
    for period in (QUARTER, YEAR):
        assert reports(sessions, period, READ_MODEL) == reports(sessions, period, ON_THE_FLY)
    # An order outside both spans moves no span: the ranks stay as they are.
    route(sessions, item, [(2, datetime(2024, 3, 3, 9, tzinfo=UTC), "7")], ids)
    assert pending(sessions) == 0


def test_an_order_committed_during_a_refresh_waits_for_the_next_one(ranked, sessions):
    """The order took its change's number before the refresh's snapshot and committed after it:
    the refresh must not delete a change it did not see."""
    item, ids = ranked
    late = sessions()
    late.begin()
    # Not committed yet; in another month, so that the two orders share no aggregate's row.
    route_in(late, item, ids[2], datetime(2026, 2, 4, 9, tzinfo=UTC), "20")
    route(sessions, item, [(1, datetime(2026, 3, 5, 9, tzinfo=UTC), "10")], ids)  # a later number
    refresher = sessions()
    refresher.begin()
    refresher.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    refresher.execute(select(1))  # the snapshot: the later order is in it, the first is not
    late.commit()
    late.close()
    ranks.refresh(refresher)
    refresher.commit()
    refresher.close()
    assert pending(sessions) == 1
    age_changes(sessions, MAX_LAG + timedelta(seconds=1))
    assert revenue(sessions, QUARTER) == "85.50"  # 55.50 + 10 + 20, ranked on the fly
    ranks.refresh_in(sessions)
    assert pending(sessions) == 0
    assert revenue(sessions, QUARTER) == "85.50"  # from the ranks


def test_at_the_months_turn_the_old_ranks_are_no_longer_read(ranked, sessions):
    item, ids = ranked
    route(sessions, item, [(2, datetime(2026, 4, 2, 9, tzinfo=UTC), "80")], ids)
    shift(sessions, date(2026, 4, 1))
    # March's ranks are still there, but March's spans are not kept: the months are read.
    assert revenue(sessions, QUARTER) == "55.50"
    april = Period(date(2026, 2, 1), date(2026, 4, 30))
    assert revenue(sessions, april) == "95.50"  # 15.50 in March, 80 in April
    assert ranks.refresh_in(sessions)
    with sessions() as session:
        ends = set(session.execute(select(CustomerRank.last_month, CustomerRank.months)))
    assert ends == {(date(2026, 4, 1), 3), (date(2026, 4, 1), 12)}
    assert reports(sessions, april, READ_MODEL) == reports(sessions, april, ON_THE_FLY)


def test_a_rebuild_of_the_spans_has_them_ranked_afresh(ranked, sessions):
    with sessions() as session:
        before = set(session.execute(select(CustomerRank.__table__)))
    assert ranks.refresh_in(sessions) == {}  # nothing changed
    with transaction(sessions) as session:
        rebuild(session)
    assert revenue(sessions, QUARTER) == "55.50"  # ranked on the fly meanwhile
    assert ranks.refresh_in(sessions) == {"rows": len(before)}
    with sessions() as session:
        assert set(session.execute(select(CustomerRank.__table__))) == before


def test_the_loop_ranks_a_new_order_within_seconds(ranked, sessions):
    item, ids = ranked
    stop = threading.Event()
    loop = threading.Thread(target=ranks.keep, args=(sessions, 0.05, stop))
    loop.start()
    try:
        route(sessions, item, [(2, datetime(2026, 3, 3, 9, tzinfo=UTC), "30")], ids)
        deadline = time.monotonic() + 10
        while pending(sessions) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(sessions) == 0
        assert revenue(sessions, QUARTER) == "85.50"  # from the ranks: nothing pending
    finally:
        stop.set()
        loop.join()
