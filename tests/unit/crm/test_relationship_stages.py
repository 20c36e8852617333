"""The rules that put a buyer into a stage of relationship."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.crm.domain.relationship import DORMANT_AFTER, WINDOW, BuyerFacts, Stage, stage_of

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
LONG_AGO = NOW - WINDOW - timedelta(days=1)
RECENTLY = NOW - timedelta(days=10)


def facts(kind="counterparty", **overrides) -> BuyerFacts:
    base = {
        "kind": kind,
        "archived": False,
        "converted": False,
        "created_at": LONG_AGO,
        "status_generates_calls": True,
        "first_status_at": LONG_AGO,
    }
    return BuyerFacts(**{**base, **overrides})


def test_a_lead_in_the_loop_is_a_prospect_whatever_its_age():
    assert stage_of(facts("lead"), NOW) is Stage.PROSPECT
    assert stage_of(facts("lead", created_at=RECENTLY, first_status_at=None), NOW) is Stage.PROSPECT
    assert stage_of(facts("lead", status_generates_calls=None), NOW) is Stage.PROSPECT


def test_a_converted_lead_has_no_stage_of_its_own():
    assert stage_of(facts("lead", converted=True, archived=True), NOW) is None


def test_archived_or_given_up_buyers_are_dormant():
    for kind in ("lead", "counterparty"):
        assert stage_of(facts(kind, archived=True), NOW) is Stage.DORMANT
        assert stage_of(facts(kind, status_generates_calls=False), NOW) is Stage.DORMANT
    # Given up beats new: a fresh counterparty marked Hopeless gets no calls.
    assert stage_of(facts(created_at=RECENTLY, status_generates_calls=False), NOW) is Stage.DORMANT


def test_a_counterparty_created_or_converted_within_the_window_is_new():
    assert stage_of(facts(created_at=RECENTLY), NOW) is Stage.NEW
    assert stage_of(facts(created_at=RECENTLY, status_generates_calls=None), NOW) is Stage.NEW
    assert stage_of(facts(created_at=NOW - WINDOW), NOW) is Stage.NEW  # the boundary day counts


def test_a_counterparty_called_for_longer_than_the_window_is_regular():
    assert stage_of(facts(), NOW) is Stage.REGULAR


def test_an_old_counterparty_brought_into_the_loop_recently_is_new():
    assert stage_of(facts(first_status_at=RECENTLY), NOW) is Stage.NEW


def test_an_old_counterparty_that_never_got_a_status_is_dormant():
    assert stage_of(facts(status_generates_calls=None, first_status_at=None), NOW) is Stage.DORMANT


def test_a_counterparty_that_bought_is_staged_by_its_orders():
    assert stage_of(facts(orders=1, last_order_at=RECENTLY), NOW) is Stage.NEW
    assert (
        stage_of(facts(orders=2, last_order_at=RECENTLY, created_at=RECENTLY), NOW) is Stage.REGULAR
    )
    # Buying beats a status that generates no calls; an order long ago means dormant.
    assert stage_of(facts(orders=3, last_order_at=RECENTLY, status_generates_calls=False), NOW) is (
        Stage.REGULAR
    )
    long_ago = NOW - DORMANT_AFTER - timedelta(days=1)
    assert stage_of(facts(orders=5, last_order_at=long_ago), NOW) is Stage.DORMANT
    assert stage_of(facts(orders=5, last_order_at=RECENTLY, archived=True), NOW) is Stage.DORMANT
