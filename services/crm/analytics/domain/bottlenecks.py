"""Time in stage from length bands: percentiles without keeping every stay.

A stay falls in band 0 under an hour, else in band ``1 + floor(log(hours) / log(RATIO))``:
each band spans 10 % more than the one before. A percentile is the longest stay of the band
holding its rank (nearest rank), so it is exact when that band holds one length and at most
10 % above the true value otherwise; the maximum is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from services.crm.analytics.domain.funnel import DAY

HOUR = 3600.0
RATIO = 1.1


def band(seconds: float) -> int:
    if seconds < HOUR:
        return 0
    return 1 + math.floor(math.log(seconds / HOUR) / math.log(RATIO))


def late(seconds: float, duration_days: int) -> bool:
    """Longer than the stage's standard duration; a stage without one is never late."""
    return duration_days > 0 and seconds > duration_days * DAY


def percentiles(bands: Iterable[tuple[int, int, float]], qs: Sequence[float]) -> list[float | None]:
    """The ``qs`` percentiles in days of stays given as ``(band, stays, longest seconds)``,
    the bands merged once for all of them."""
    merged: dict[int, list[float]] = {}
    for number, stays, longest in bands:
        cell = merged.setdefault(number, [0, 0.0])
        cell[0] += stays
        cell[1] = max(cell[1], longest)
    total = sum(stays for stays, _ in merged.values())
    if not total:
        return [None for _ in qs]
    ordered = [merged[number] for number in sorted(merged)]
    return [_at_rank(ordered, max(1, math.ceil(q * total))) for q in qs]


def _at_rank(ordered: list[list[float]], rank: int) -> float:
    seen: float = 0
    for count, longest in ordered:
        seen += count
        if seen >= rank:
            return round(longest / DAY, 2)
    raise AssertionError("unreachable: the ranks add up to the total")


def percentile(bands: Iterable[tuple[int, int, float]], q: float) -> float | None:
    """The ``q`` percentile in days of stays given as ``(band, stays, longest seconds)``."""
    return percentiles(bands, (q,))[0]
