"""ABC/XYZ, RFM, loyalty and dormant customers over a small order history, counted by hand.

The history is written as it stands in the tables and the read model rebuilt from it; the
recorder's own path (an order routed through the process) is checked in test_cards_and_orders.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.crm.analytics.adapters.rebuild import rebuild
from services.crm.analytics.domain.classes import rfm_score, rfm_segment
from services.crm.analytics.handlers import ranks, spans
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import counterparties, partners
from services.crm.handlers.catalogue import create_item
from shared.db import transaction
from tests import factories
from tests.integration.crm.analytics.support import report, rows_by

JAN_MAR: dict[str, Any] = {"from": "2026-01-01", "to": "2026-03-31"}


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


# Per customer: responsible ("alice" or "bob") and its orders (date, amount).
HISTORY = {
    "C1": (
        "alice",
        [
            (at(12, 15, 2025), 50),
            (at(1, 5), 60),
            (at(1, 20), 40),
            (at(2, 10), 100),
            (at(3, 20), 100),
        ],
    ),
    "C2": ("alice", [(at(2, 10), 150), (at(3, 25), 50), (at(6, 20), 80)]),
    "C3": ("bob", [(at(1, 10), 40), (at(2, 10), 50), (at(3, 10), 60)]),
    "C4": ("bob", [(at(3, 28), 30)]),
    "C5": ("bob", [(at(1, 15), 20)]),
}


@pytest.fixture(params=["months", "spans", "ranks"])
def customers(request, as_role, admin, sessions, settings):
    """The history; with "spans", the buyers' spans kept as they stand in March 2026, so the
    reports over January to March read them instead of the months, and must agree; with
    "ranks", also the whole company's classes and scores over them, read by the admin's."""
    alice = as_role("manager", department="Sales")
    bob = as_role("manager", department="Sales")
    who = {"alice": alice.id, "bob": bob.id}
    boss = Actor(admin.id, Role.ADMIN)
    ids = {}
    with transaction(sessions) as session:
        item = create_item(session, boss, {"name": "Installation"}).id
        partner = partners.create_partner(session, boss, {"name": "Group"}).id
        for name, (manager, orders) in HISTORY.items():
            cp = counterparties.create_counterparty(
                session,
                boss,
                {
                    "name": name,
                    "partner_id": partner,
                    "kind": "legal_entity",
                    "responsible_id": who[manager],
                },
                settings,
            )
            ids[name] = cp.id
            for when, amount in orders:
                factories.routed_order(session, cp.id, [(item, "1", str(amount))], when)
        rebuild(session)
        if request.param != "months":
            assert spans.shift(session, date(2026, 3, 31))["rows"]
    if request.param == "ranks":
        assert ranks.refresh_in(sessions)
    return alice, bob, ids


def test_abc_by_cumulative_share_and_xyz_by_variation_of_monthly_orders(customers, admin):
    _, _, ids = customers
    result = report(admin, "abc-xyz", **JAN_MAR)
    assert (result["months"], result["customers"], result["revenue"]) == (3, 5, "700.00")
    rows = {row["counterparty_id"]: row for row in result["rows"]}
    expected = {  # revenue, orders, cumulative share, ABC, cv, XYZ
        "C1": ("300.00", 4, 0.428571, "A", 0.0, "X"),
        "C2": ("200.00", 2, 0.714286, "A", 0.9354, "Z"),
        "C3": ("150.00", 3, 0.928571, "A", 0.1633, "Y"),
        "C4": ("30.00", 1, 0.971429, "B", 1.4142, "Z"),
        "C5": ("20.00", 1, 1.0, "C", 1.4142, "Z"),
    }
    got = {
        name: tuple(
            rows[ids[name]][k]
            for k in ("revenue", "orders", "cumulative_share", "abc", "cv", "xyz")
        )
        for name in expected
    }
    assert got == expected
    assert [row["counterparty_id"] for row in result["rows"]] == [ids[n] for n in expected]
    matrix = {(c["abc"], c["xyz"]): (c["customers"], c["revenue"]) for c in result["matrix"]}
    assert matrix == {
        ("A", "X"): (1, "300.00"),
        ("A", "Y"): (1, "150.00"),
        ("A", "Z"): (1, "200.00"),
        ("B", "Z"): (1, "30.00"),
        ("C", "Z"): (1, "20.00"),
    }


def test_abc_of_one_managers_customers_pages_and_class_filters(customers, admin):
    alice, _, ids = customers
    mine = report(alice, "abc-xyz", **JAN_MAR)
    assert [(r["counterparty_id"], r["abc"], r["cumulative_share"]) for r in mine["rows"]] == [
        (ids["C1"], "A", 0.6),
        (ids["C2"], "A", 1.0),
    ]
    only_a = report(admin, "abc-xyz", abc="A", page=2, page_size=2, **JAN_MAR)
    assert only_a["matching"] == 3 and [r["counterparty_id"] for r in only_a["rows"]] == [ids["C3"]]
    z = report(admin, "abc-xyz", xyz="Z", **JAN_MAR)
    assert z["matching"] == 3 and len(z["matrix"]) == 5  # the matrix stays whole
    exported = admin.get(
        "/api/analytics/abc-xyz?format=csv&page_size=1&from=2026-01-01&to=2026-03-31"
    )
    assert exported.get_data(as_text=True).count("\n") == 6  # the header and every customer


def test_rfm_scores_and_segments_of_the_periods_buyers(customers, admin):
    _, _, ids = customers
    rows = rows_by(report(admin, "rfm", **JAN_MAR), "counterparty_id")
    expected = {  # recency days before 1 April, R, F, M, segment
        "C1": (11.5, 3, 5, 5, "loyal"),
        "C2": (6.5, 4, 3, 4, "loyal"),
        "C3": (21.5, 2, 4, 3, "at_risk"),
        "C4": (3.5, 5, 1, 2, "recent"),
        "C5": (75.5, 1, 1, 1, "hibernating"),
    }
    got = {
        n: tuple(rows[ids[n]][k] for k in ("recency_days", "r", "f", "m", "segment"))
        for n in expected
    }
    assert got == expected
    at_risk = report(admin, "rfm", segment="at_risk", **JAN_MAR)
    assert [r["counterparty_id"] for r in at_risk["rows"]] == [ids["C3"]]


def test_loyalty_counts_repeat_buyers_segments_and_dormant_ones(customers, admin):
    result = report(admin, "loyalty", **JAN_MAR)
    assert (result["buyers"], result["repeat_buyers"], result["repeat_rate"]) == (5, 3, 0.6)
    assert result["dormant"] == 0  # as of 1 April every repeat buyer still keeps its rhythm
    segments = {r["segment"]: (r["customers"], r["revenue"]) for r in result["rows"]}
    assert segments == {
        "champions": (0, "0.00"),
        "loyal": (2, "500.00"),
        "recent": (1, "30.00"),
        "promising": (0, "0.00"),
        "at_risk": (1, "150.00"),
        "hibernating": (1, "20.00"),
    }


def test_dormant_customers_are_repeat_buyers_silent_for_twice_their_usual_interval(
    customers, admin
):
    _, _, ids = customers
    result = report(admin, "dormant-customers", to="2026-06-30")
    assert result["as_of"].startswith("2026-07-01T00:00:00")
    # C2 bought again on 20 June; C4 and C5 bought once only.
    assert [
        (r["counterparty_id"], r["orders"], r["average_gap_days"], r["days_since_last"])
        for r in result["rows"]
    ] == [
        (ids["C1"], 5, 23.8, 102.5),
        (ids["C3"], 3, 29.5, 112.5),
    ]
    longer = report(admin, "dormant-customers", to="2026-06-30", min_days=110)
    assert [r["counterparty_id"] for r in longer["rows"]] == [ids["C3"]]
    assert admin.get("/api/analytics/dormant-customers?process_kind=manual").status_code == 422


@pytest.mark.parametrize("kept", ["months", "spans", "ranks"])
def test_rfm_scores_are_the_share_of_buyers_below_among_many_ties(kept, admin, sessions, settings):
    """Forty buyers whose amounts, order counts and last days repeat: each score is
    1 + floor(5 * the share of the other buyers with a lower value), equal values alike."""
    rng = random.Random(7)
    with transaction(sessions) as session:
        item, ids = factories.buyers(session, admin.id, settings, [f"B{n}" for n in range(40)])
        for cp in ids:
            for _ in range(rng.choice((1, 1, 2, 3))):
                when = at(rng.choice((1, 2, 3)), rng.choice((5, 15)))
                factories.routed_order(session, cp, [(item, "1", rng.choice(("10", "20")))], when)
        rebuild(session)
        if kept != "months":
            spans.shift(session, date(2026, 3, 1))
    if kept == "ranks":
        ranks.refresh_in(sessions)
    rows = report(admin, "rfm", page_size=100, **JAN_MAR)["rows"]
    assert len(rows) == 40

    def score(value: float, values: list[float]) -> int:
        return rfm_score(sum(v < value for v in values) / (len(values) - 1))

    recency = [-r["recency_days"] for r in rows]  # the more recent, the higher
    orders = [r["orders"] for r in rows]
    revenue = [float(r["revenue"]) for r in rows]
    expected = [
        (
            score(-r["recency_days"], recency),
            score(r["orders"], orders),
            score(float(r["revenue"]), revenue),
        )
        for r in rows
    ]
    assert [(r["r"], r["f"], r["m"]) for r in rows] == expected
    assert [r["segment"] for r in rows] == [rfm_segment(r, f) for r, f, _ in expected]
    assert len(set(expected)) > 5  # the ties do not make every buyer alike
