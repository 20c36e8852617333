"""The funnel of deals: five deals of one kind, one skipping a stage and one going back,
counted by hand; conversions stage by stage and in order, drop-outs, win rate, pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from services.crm.adapters.deals import Deal
from services.crm.analytics.handlers import deal_recorder
from shared.db import transaction, utcnow
from tests.integration.crm.analytics.support import read_model, rebuilt, report
from tests.integration.crm.support import created
from tests.integration.crm.test_deals import deal, move
from tests.integration.crm.test_deals import office as office

STAGES = [
    {"code": "a", "name": "Qualify", "probability": 10, "next": ["b", "c"]},
    {"code": "b", "name": "Propose", "probability": 40, "next": ["c", "a"]},
    {"code": "c", "name": "Negotiate", "probability": 70},
]


def backdate_stage(sessions, deal_id: int, days: float) -> None:
    """As if the deal had entered its current stage ``days`` ago (its open deals' row too)."""
    with transaction(sessions) as session:
        deal = session.get(Deal, deal_id, with_for_update=True)
        stood = deal_recorder.standing(session, deal)
        deal.stage_entered_at = utcnow() - timedelta(days=days)
        session.flush()
        deal_recorder.restand(session, stood, deal)


def walk(client, deal_id: int, *targets: str, **closing) -> None:
    for target in targets:
        extra = closing if target == "lost" else {}
        r = move(client, deal_id, target, **extra)
        assert r.status_code == 200, r.json


@pytest.fixture()
def history(office, sessions):
    """D1 a-b-c-won (100), D2 a-c-lost (skips b, 50), D3 a-b-a-b-c open (200, two days in a
    first), D4 a-cancelled, D5 a-b-lost. All of Alice, in Sales."""
    admin, alice = office["admin"], office["alice"]
    kind = created(admin, "/api/deal-kinds", name="Funnel sale", mode="manual", stages=STAGES)
    lost = {"lost_reason_id": office["reason"]}
    ids = [
        deal(alice, kind["id"], office["customer"], amount=amount)["id"]
        for amount in ("100.00", "50.00", "200.00", "10.00", "20.00")
    ]
    walk(alice, ids[0], "b", "c", "won")
    walk(alice, ids[1], "c", "lost", **lost)
    backdate_stage(sessions, ids[2], 2)
    walk(alice, ids[2], "b", "a", "b", "c")
    r = alice.patch(f"/api/deals/{ids[2]}", json={"expected_close_date": "2027-01-15"})
    assert r.status_code == 200, r.json
    walk(alice, ids[3], "cancelled")
    walk(alice, ids[4], "b", "lost", **lost)
    return office, kind, ids


def test_stages_reached_in_order_dropped_and_converted(history):
    people, kind, _ = history
    result = report(people["admin"], "funnel", kind_id=kind["id"])
    rows = [(r["code"], r["reached"], r["reached_in_order"], r["dropped"]) for r in result["rows"]]
    assert rows == [("a", 5, 5, 1), ("b", 3, 3, 1), ("c", 3, 2, 1)]
    conversions = [(r["conversion"], r["strict_conversion"]) for r in result["rows"]]
    assert conversions == [(0.6, 0.6), (1.0, 0.6667), (None, None)]
    # Six stays ended in a (D3 left it twice); two days of them were D3's first.
    assert result["rows"][0]["avg_days_in_stage"] == pytest.approx(2 / 6, abs=0.01)


def test_outcomes_win_rate_and_the_open_pipeline_by_expected_month(history):
    people, kind, _ = history
    result = report(people["helen"], "funnel", kind_id=kind["id"])
    counts = [result[k] for k in ("opened", "won", "lost", "cancelled", "win_rate", "won_amount")]
    assert counts == [5, 1, 2, 1, 0.3333, "100.00"]
    assert result["avg_cycle_days"] == pytest.approx(0, abs=0.01)
    pipeline = [result[k] for k in ("open_deals", "pipeline_amount", "weighted_pipeline")]
    assert pipeline == [1, "200.00", "140.00"]  # D3 in c, 70 %
    assert result["forecast"] == [
        {"month": "2027-01-01", "deals": 1, "amount": "200.00", "expected_won_amount": "140.00"}
    ]


def test_the_cycle_length_counts_from_opening_to_winning_or_losing(history, sessions):
    people, kind, ids = history
    with transaction(sessions) as session:
        for deal_id, days in ((ids[0], 10), (ids[1], 4)):
            session.execute(
                update(Deal)
                .where(Deal.id == deal_id)
                .values(created_at=Deal.created_at - timedelta(days=days))
            )
    rebuilt(sessions)
    result = report(people["admin"], "funnel", kind_id=kind["id"])
    assert result["avg_cycle_days"] == pytest.approx(14 / 3, abs=0.01)  # D1 10, D2 4, D5 0


def test_scope_filters_and_exports(history):
    people, kind, _ = history
    assert report(people["bob"], "funnel", kind_id=kind["id"])["opened"] == 0
    assert report(people["admin"], "funnel", process_kind="calling_loop")["opened"] == 0
    assert report(people["admin"], "funnel", department="Export")["opened"] == 0
    report(people["carol"], "funnel", expect=403, department="Sales")
    bad = report(
        people["admin"], "funnel", expect=422, **{"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert "from" in str(bad)
    assert "stage" in str(report(people["admin"], "funnel", expect=422, stage="a"))
    r = people["admin"].get(f"/api/analytics/funnel?kind_id={kind['id']}&format=csv")
    assert r.mimetype == "text/csv"
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0].startswith("kind_id,stage_id,code,name") and len(lines) == 4
    r = people["admin"].get(
        f"/api/analytics/funnel?kind_id={kind['id']}",
        headers={"Accept": "image/svg+xml", "Accept-Language": "ru"},
    )
    assert r.mimetype == "image/svg+xml" and "Negotiate" in r.get_data(as_text=True)


def test_funnel_aggregates_equal_a_rebuild_from_the_history(history, sessions):
    kept = read_model(sessions)
    assert rebuilt(sessions) == kept
    assert sum(row[-5] for row in kept["analytics_deal_stage_days"]) == 11  # reached
