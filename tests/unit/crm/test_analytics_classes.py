"""The class rules of the reports: ABC, XYZ, BCG quadrants, RFM scores and segments, dormancy."""

from __future__ import annotations

import itertools

import pytest

from services.crm.analytics.domain.classes import (
    abc_class,
    bcg_quadrant,
    going_dormant,
    rfm_score,
    rfm_segment,
    variation,
    xyz_class,
)


@pytest.mark.parametrize(
    ("before", "expected"),
    [(0.0, "A"), (0.7999, "A"), (0.80, "B"), (0.9499, "B"), (0.95, "C"), (0.999, "C")],
)
def test_abc_follows_the_share_of_revenue_of_the_larger_customers(before, expected):
    assert abc_class(before) == expected


def test_xyz_follows_the_variation_of_monthly_amounts_with_empty_months_counted():
    assert variation([100, 100, 100]) == 0.0
    assert round(variation([40, 50, 60]), 4) == 0.1633
    assert round(variation([0, 0, 30]), 4) == 1.4142
    assert variation([0, 0, 0]) is None
    assert [xyz_class(cv) for cv in (0.0, 0.10, 0.1001, 0.25, 0.2501, 3.0)] == [
        "X",
        "X",
        "Y",
        "Y",
        "Z",
        "Z",
    ]


def test_bcg_quadrants_by_growth_and_relative_share():
    assert bcg_quadrant(0.5, 2.0) == "star"
    assert bcg_quadrant(0.05, 1.0) == "cash_cow"
    assert bcg_quadrant(0.10, 0.3) == "question_mark"
    assert bcg_quadrant(-0.2, 0.3) == "dog"
    # A group that sold nothing before is new, so growing.
    assert bcg_quadrant(None, 0.3) == "question_mark"


def test_rfm_scores_run_from_one_to_five_by_the_share_of_buyers_beaten():
    assert [rfm_score(p) for p in (0.0, 0.19, 0.2, 0.5, 0.75, 0.99, 1.0)] == [1, 1, 2, 3, 4, 5, 5]


def test_every_pair_of_recency_and_frequency_scores_has_exactly_one_segment():
    segments = {(r, f): rfm_segment(r, f) for r, f in itertools.product(range(1, 6), repeat=2)}
    assert segments[5, 5] == "champions" and segments[3, 4] == "loyal"
    assert segments[5, 1] == "recent" and segments[3, 2] == "promising"
    assert segments[1, 5] == "at_risk" and segments[2, 2] == "hibernating"
    assert set(segments.values()) == {
        "champions",
        "loyal",
        "recent",
        "promising",
        "at_risk",
        "hibernating",
    }


def test_a_repeat_buyer_goes_dormant_after_twice_their_usual_interval_and_a_month_at_least():
    assert going_dormant(orders=3, average_gap_days=20, days_since_last=41, min_days=30)
    assert not going_dormant(orders=3, average_gap_days=20, days_since_last=40, min_days=30)
    assert not going_dormant(orders=3, average_gap_days=5, days_since_last=29, min_days=30)
    assert not going_dormant(orders=1, average_gap_days=0, days_since_last=400, min_days=30)
