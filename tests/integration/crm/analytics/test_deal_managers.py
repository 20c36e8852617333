"""Deal columns of the managers' report, from the funnel's history (test_funnel.history)."""

from __future__ import annotations

from tests.integration.crm.analytics.support import report, rows_by
from tests.integration.crm.analytics.test_funnel import history as history
from tests.integration.crm.test_deals import office as office


def test_each_manager_has_deals_opened_won_lost_conversion_and_amount(history):
    people, _, _ = history
    rows = rows_by(report(people["helen"], "managers", rank_by="deals_won_amount"), "manager_id")
    alice, bob = rows[people["alice"].id], rows[people["bob"].id]
    figures = [alice[c] for c in ("deals_opened", "deals_won", "deals_lost", "deals_won_amount")]
    assert figures == [5, 1, 2, "100.00"]
    # Won 1 of 5 opened; 1 of the 3 decided (the cancelled one and the open one are not).
    assert (alice["deal_conversion_share"], alice["deal_win_share"]) == (0.2, 0.3333)
    assert 0 <= alice["deal_cycle_avg_seconds"] < 600
    assert (bob["deals_opened"], bob["deal_win_share"], alice["rank"]) == (0, None, 1)
    only_loop = rows_by(report(people["admin"], "managers", process_kind="calling_loop"), "name")
    assert all(row["deals_opened"] == 0 for row in only_loop.values())
    csv = people["admin"].get("/api/analytics/managers?format=csv").get_data(as_text=True)
    assert "deals_opened" in csv.splitlines()[0]
