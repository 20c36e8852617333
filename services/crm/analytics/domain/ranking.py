"""Shares and rankings the reports show."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def share(part: float, whole: float, digits: int = 4) -> float | None:
    """``part / whole`` rounded; None when there is no whole to share."""
    return round(part / whole, digits) if whole else None


def rank_within(rows: list[dict[str, Any]], group: str, key: str) -> None:
    """Set ``rank`` in each row: 1 for the best ``key`` in its ``group``, ties sharing a rank,
    rows without a value last."""
    groups: dict[Hashable, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[group], []).append(row)
    for members in groups.values():
        ordered = sorted(members, key=lambda r: (r[key] is None, -(r[key] or 0)))
        for position, row in enumerate(ordered, 1):
            previous = ordered[position - 2] if position > 1 else None
            tied = previous is not None and previous[key] == row[key]
            row["rank"] = previous["rank"] if tied and previous is not None else position
