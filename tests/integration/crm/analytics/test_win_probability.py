"""Win probability of open deals: the stage's default until the first fit, then the frequency
tables of the decided deals (computed by hand below), shown on the deal and weighting the
funnel's pipeline; the scheduler's routine re-fits."""

from __future__ import annotations

import pytest

from services.crm.handlers import routines
from shared import config
from shared.db import transaction
from tests.integration.crm.analytics.support import report
from tests.integration.crm.analytics.test_funnel import history as history
from tests.integration.crm.test_deals import office as office


def refit(sessions) -> dict:
    with transaction(sessions) as session:
        # As the worker runs it on the scheduler's RunRoutine.
        return routines.ROUTINES["refit_win_probability"](session, config.load())


def test_an_open_deal_gets_the_fitted_chance_and_the_pipeline_is_weighted_by_it(history, sessions):
    people, kind, ids = history
    admin = people["admin"]
    assert admin.get(f"/api/deals/{ids[2]}").json["win_probability"] == 0.7  # stage c default
    # Decided stays: D1 won in a, b, c; D2 lost in a, c; D5 lost in a, b (D4 was cancelled).
    assert refit(sessions) == {"examples": 7, "scored": 1}
    # D3 stands in c: won 3 of 7; c won 1 lost 1 (4 stage values with the unseen one);
    # kind, days, amount, interactions and manager share one value each: (3+1)/5 : (4+1)/6.
    odds = (3 / 4) * ((2 / 7) / (2 / 8)) * ((4 / 5) / (5 / 6)) ** 5
    expected = round(odds / (1 + odds), 4)
    assert expected == 0.4114
    assert admin.get(f"/api/deals/{ids[2]}").json["win_probability"] == pytest.approx(expected)
    assert admin.get(f"/api/deals/{ids[0]}").json["win_probability"] == 1.0
    funnel = report(admin, "funnel", kind_id=kind["id"])
    assert funnel["weighted_pipeline"] == "82.28"
    assert funnel["forecast"][0]["expected_won_amount"] == "82.28"
