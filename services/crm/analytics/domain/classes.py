"""ABC/XYZ classes of customers, BCG quadrants of item groups, RFM segments of buyers.

- **ABC** by revenue: customers in descending order of revenue; a customer is A while the
  revenue of the customers before it is under 80% of the total, B under 95%, else C (so
  the largest customer is always A and the one crossing 80% is still A).
- **XYZ** by the stability of monthly purchases: the coefficient of variation (population
  standard deviation / mean) of the customer's order amount per month over every month of
  the period, months without orders counting as 0: X up to 0.10, Y up to 0.25, else Z.
- **BCG**: growth of an item group's sales against the previous period of equal length,
  and its relative share: its sales / the sales of the largest other group. High growth
  from 10%, a high share from 1.0 (the leader): star, cash cow, question mark, dog.
- **RFM**: recency, frequency and monetary scores 1-5 among the period's buyers, from the
  share of buyers ranked below (``1 + floor(5 * percent_rank)``, at most 5; equal values
  get equal scores; 5 is the most recent, most frequent, largest), and a segment from the
  recency and frequency scores.

The thresholds are data here; the SQL of the reports is built from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ABC = (("A", 0.80), ("B", 0.95), ("C", math.inf))
XYZ = (("X", 0.10), ("Y", 0.25), ("Z", math.inf))
GROWTH_HIGH = 0.10
SHARE_HIGH = 1.0

STAR, CASH_COW, QUESTION_MARK, DOG = "star", "cash_cow", "question_mark", "dog"

# (segment, recency scores, frequency scores): every pair of scores falls in exactly one.
RFM_SEGMENTS = (
    ("champions", (4, 5), (4, 5)),
    ("loyal", (3, 5), (3, 5)),
    ("recent", (4, 5), (1, 2)),
    ("promising", (3, 3), (1, 2)),
    ("at_risk", (1, 2), (3, 5)),
    ("hibernating", (1, 2), (1, 2)),
)


def abc_class(revenue_before_share: float) -> str:
    """The ABC class of a customer whose larger predecessors make this share of revenue."""
    return next(name for name, limit in ABC if revenue_before_share < limit)


def variation(monthly: Sequence[float]) -> float | None:
    """Coefficient of variation of monthly amounts; None when nothing was bought."""
    mean = sum(monthly) / len(monthly)
    if mean <= 0:
        return None
    spread = math.sqrt(max(sum(x * x for x in monthly) / len(monthly) - mean * mean, 0.0))
    return spread / mean


def xyz_class(cv: float) -> str:
    return next(name for name, limit in XYZ if cv <= limit)


def bcg_quadrant(growth: float | None, share: float | None) -> str:
    """A group without sales before (growth unknown) counts as growing."""
    growing = growth is None or growth >= GROWTH_HIGH
    leading = share is not None and share >= SHARE_HIGH
    if growing:
        return STAR if leading else QUESTION_MARK
    return CASH_COW if leading else DOG


SCORES = (1, 2, 3, 4, 5)


def rfm_score(percent_rank: float) -> int:
    """Score 1-5 of a buyer whose value beats ``percent_rank`` (0..1) of the others."""
    return min(SCORES[-1], 1 + math.floor(len(SCORES) * percent_rank))


def rfm_segment(recency: int, frequency: int) -> str:
    """The first segment whose score ranges hold both scores."""
    return next(
        name
        for name, (r_low, r_high), (f_low, f_high) in RFM_SEGMENTS
        if r_low <= recency <= r_high and f_low <= frequency <= f_high
    )


# A repeat buyer is going dormant once the time since their last order exceeds twice their
# average interval between orders, and at least a month.
DORMANT_FACTOR = 2
DORMANT_MIN_DAYS = 30


def going_dormant(
    orders: int, average_gap_days: float, days_since_last: float, min_days: int
) -> bool:
    """Whether a buyer with ``orders`` orders has been silent for too long."""
    return orders >= 2 and days_since_last > max(min_days, DORMANT_FACTOR * average_gap_days)
