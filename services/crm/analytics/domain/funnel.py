"""The sales funnel from per-stage counts: conversions, drop-outs, win rate, cycle length.

Two conversions per stage: stage by stage (deals that reached the next stage of those that
reached this one, however they got there) and strict (the same, counting only deals that had
passed every earlier stage: a deal that skipped a stage or came back to it drops out of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.crm.analytics.domain.ranking import share

DAY = 86400.0


@dataclass(frozen=True)
class StageCounts:
    kind_id: int
    stage_id: int
    position: int
    code: str
    name: str
    probability: int
    reached: int = 0
    reached_in_order: int = 0
    dropped: int = 0
    stays: int = 0
    stay_seconds: float = 0.0


def days(seconds: float, count: int) -> float | None:
    """The average of ``count`` durations summing to ``seconds``, in days."""
    return round(seconds / count / DAY, 2) if count else None


def stage_rows(stages: list[StageCounts]) -> list[dict[str, Any]]:
    """One row per stage in the kind's order, each with its conversion to the next stage."""
    ordered = sorted(stages, key=lambda s: (s.kind_id, s.position))
    rows = []
    for i, stage in enumerate(ordered):
        after = ordered[i + 1] if i + 1 < len(ordered) else None
        if after is not None and after.kind_id != stage.kind_id:
            after = None
        rows.append(
            {
                "kind_id": stage.kind_id,
                "stage_id": stage.stage_id,
                "code": stage.code,
                "name": stage.name,
                "position": stage.position,
                "reached": stage.reached,
                "reached_in_order": stage.reached_in_order,
                "dropped": stage.dropped,
                "conversion": share(after.reached, stage.reached) if after else None,
                "strict_conversion": (
                    share(after.reached_in_order, stage.reached_in_order) if after else None
                ),
                "avg_days_in_stage": days(stage.stay_seconds, stage.stays),
            }
        )
    return rows


def win_rate(won: int, lost: int) -> float | None:
    """Of the deals decided (won or lost), the share won; cancelled ones were not decided."""
    return share(won, won + lost)
