"""The deal analytics' rules: funnel conversions, length bands and percentiles, the win model."""

from __future__ import annotations

import pytest

from services.crm.analytics.domain import bottlenecks, funnel, win_model
from services.crm.analytics.domain.funnel import StageCounts


def stage(kind, position, reached, in_order, **rest):
    return StageCounts(
        kind, position * 10 + kind, position, f"s{position}", "S", 0, reached, in_order, **rest
    )


def test_conversions_stop_at_each_kinds_last_stage():
    rows = funnel.stage_rows([stage(1, 2, 4, 2), stage(1, 1, 8, 8), stage(2, 1, 3, 3)])
    assert [(r["kind_id"], r["conversion"], r["strict_conversion"]) for r in rows] == [
        (1, 0.5, 0.25),
        (1, None, None),
        (2, None, None),
    ]
    assert funnel.win_rate(0, 0) is None and funnel.win_rate(1, 3) == 0.25


def test_length_bands_grow_by_ten_percent_and_percentiles_take_the_rank_band():
    assert bottlenecks.band(0) == bottlenecks.band(3599) == 0
    assert bottlenecks.band(3600) == 1 and bottlenecks.band(3960) == 2
    day = 86400.0
    bands = [(bottlenecks.band(s), 1, s) for s in (0.5 * day, 2 * day, 3 * day)]
    assert bottlenecks.percentile(bands, 0.5) == 2.0
    assert bottlenecks.percentile(bands, 0.9) == 3.0
    assert bottlenecks.percentile([], 0.5) is None
    assert bottlenecks.percentiles(bands, (0.5, 0.9)) == [2.0, 3.0]  # the bands merged once
    assert bottlenecks.percentiles([], (0.5, 0.9)) == [None, None]
    assert not bottlenecks.late(10 * day, 0) and bottlenecks.late(1.5 * day, 1)


def test_the_win_model_smooths_unseen_values_and_needs_both_outcomes():
    a = win_model.features(1, 1, 0, 100, 0, 7)
    assert win_model.fit([(a, True)]).probability(a) is None
    model = win_model.fit([(a, True), (a, True), (a, False)])
    assert model.probability(a) == pytest.approx(1 / (1 + 1 / (2 * ((3 / 4) / (2 / 3)) ** 6)))
    unseen = {**a, "manager": "8"}
    assert 0 < model.probability(unseen) < model.probability(a)
    assert win_model.Model.from_json(model.to_json()).probability(a) == model.probability(a)


def test_brier_and_calibration():
    pairs = [(0.9, True), (0.8, False), (0.1, False)]
    assert win_model.brier(pairs) == pytest.approx((0.01 + 0.64 + 0.01) / 3)
    assert win_model.calibration(pairs) == [
        ("0.1-0.2", 1, 0.1, 0.0),
        ("0.8-0.9", 1, 0.8, 0.0),
        ("0.9-1.0", 1, 0.9, 1.0),
    ]
