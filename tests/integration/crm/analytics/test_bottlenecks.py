"""Bottlenecks: stays of known length (the deals' stage entry moved back in time), their
median, 90th percentile and maximum per stage and per manager, stages past their standard
duration, and the deals stalled now; each figure counted by hand."""

from __future__ import annotations

import pytest

from services.crm.analytics.handlers import bottlenecks
from shared.db import utcnow
from tests.integration.crm.analytics.support import read_model, rebuilt, report
from tests.integration.crm.analytics.test_funnel import backdate_stage, walk
from tests.integration.crm.support import created
from tests.integration.crm.test_deals import deal
from tests.integration.crm.test_deals import office as office

STAGES = [
    {"code": "a", "name": "Qualify", "duration_days": 1},
    {"code": "b", "name": "Propose", "duration_days": 3},
    {"code": "c", "name": "Negotiate"},
]


@pytest.fixture()
def stays(office, sessions):
    """Alice: E1 a 2 days, b 1 day, c 5 days, won; E2 a half a day, then 4 days in b (past its
    3). Bob: E3 a 3 days, lost; E4 a for a day and a half now (past its 1)."""
    admin, alice, bob = office["admin"], office["alice"], office["bob"]
    kind = created(admin, "/api/deal-kinds", name="Slow sale", mode="manual", stages=STAGES)
    e1, e2 = (deal(alice, kind["id"], office["customer"])["id"] for _ in range(2))
    e3, e4 = (deal(bob, kind["id"], office["customer"])["id"] for _ in range(2))
    for deal_id, days, target in (
        (e1, 2, "b"),
        (e1, 1, "c"),
        (e1, 5, "won"),
        (e2, 0.5, "b"),
        (e3, 3, "lost"),
    ):
        backdate_stage(sessions, deal_id, days)
        walk(
            alice if deal_id in (e1, e2) else bob, deal_id, target, lost_reason_id=office["reason"]
        )
    backdate_stage(sessions, e2, 4)
    backdate_stage(sessions, e4, 1.5)
    return office, kind, (e1, e2, e3, e4)


def figures(row):
    keys = ("code", "stays", "median_days", "p90_days", "max_days", "late", "late_share")
    return tuple(row[k] for k in (*keys, "stalled_now"))


def test_time_in_each_stage_late_stays_and_the_worst_stages(stays):
    people, kind, _ = stays
    result = report(people["admin"], "bottlenecks", kind_id=kind["id"])
    # a: 0.5, 2 and 3 days (nearest rank: 2nd and 3rd of three); two past its one day.
    assert [figures(r) for r in result["rows"]] == [
        ("a", 3, 2.0, 3.0, 3.0, 2, 0.6667, 1),
        ("b", 1, 1.0, 1.0, 1.0, 0, 0.0, 1),
        ("c", 1, 5.0, 5.0, 5.0, 0, 0.0, 0),
    ]
    a, b, c = (s["id"] for s in kind["stages"])
    assert result["worst"] == [a, c, b]
    month = utcnow().date().replace(day=1).isoformat()
    assert [(t["month"], t["code"], t["stays"], t["median_days"]) for t in result["trend"]] == [
        (month, "a", 3, 2.0),
        (month, "b", 1, 1.0),
        (month, "c", 1, 5.0),
    ]


def test_the_deals_stalled_now_and_the_same_per_manager(stays):
    people, kind, (_, e2, _, e4) = stays
    result = report(people["helen"], "bottlenecks", kind_id=kind["id"], by="manager")
    stalled = [(d["deal_id"], d["code"], d["standard_days"]) for d in result["stalled"]]
    assert stalled == [(e2, "b", 3), (e4, "a", 1)]  # the longest standing first
    assert result["stalled"][0]["days_in_stage"] == pytest.approx(4, abs=0.01)
    per = {(r["manager_id"], r["code"]): figures(r)[1:] for r in result["rows"]}
    alice, bob = people["alice"].id, people["bob"].id
    assert per[(alice, "a")] == (2, 0.5, 2.0, 2.0, 1, 0.5, 0)
    assert per[(bob, "a")] == (1, 3.0, 3.0, 3.0, 1, 1.0, 1)
    assert per[(alice, "b")] == (1, 1.0, 1.0, 1.0, 0, 0.0, 1)
    mine = report(people["bob"], "bottlenecks", kind_id=kind["id"])
    assert [figures(r)[:2] for r in mine["rows"]] == [("a", 1)]
    assert mine["stalled_count"] == 1
    assert [d["deal_id"] for d in mine["stalled"]] == [e4]


def test_a_short_stalled_list_keeps_the_longest_standing_of_all_stages(stays, monkeypatch):
    """Each stage gives its oldest, then they are merged: the list is the overall oldest."""
    people, kind, (_, e2, _, _) = stays
    monkeypatch.setattr(bottlenecks, "STALLED_LISTED", 1)
    result = report(people["admin"], "bottlenecks", kind_id=kind["id"])
    assert [d["deal_id"] for d in result["stalled"]] == [e2]
    assert result["stalled_count"] == 2


def test_bad_filters_exports_chart_and_rebuild(stays, sessions):
    people, kind, _ = stays
    report(people["carol"], "bottlenecks", expect=403, department="Sales")
    report(people["admin"], "bottlenecks", expect=422, by="week")
    report(people["admin"], "bottlenecks", expect=422, **{"from": "2026-02-01", "to": "2026-01-01"})
    r = people["admin"].get(f"/api/analytics/bottlenecks?kind_id={kind['id']}&format=csv")
    assert r.get_data(as_text=True).splitlines()[0].startswith("kind_id,stage_id,code,name")
    r = people["admin"].get(
        f"/api/analytics/bottlenecks?kind_id={kind['id']}&format=svg",
        headers={"Accept-Language": "uk"},
    )
    assert r.mimetype == "image/svg+xml" and "Qualify" in r.get_data(as_text=True)
    kept = read_model(sessions)
    assert rebuilt(sessions) == kept
