"""Win probability of an open deal from frequency tables (naive Bayes with Laplace smoothing),
as predictive lead scoring does in other CRMs; no library needed, and the tables explain
themselves.

An example is one stay of a decided deal (won or lost) in a stage: the deal's kind, the stage,
the days it stayed, its amount, its interactions and its manager. Numbers fall into buckets
(``bucket``, the same edges as PostgreSQL's ``width_bucket`` over an array), so the tables are
counts the database can add up. An open deal is scored on its current stay.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FEATURES = ("kind", "stage", "days", "amount", "interactions", "manager")
EDGES: dict[str, tuple[float, ...]] = {
    "days": (1, 3, 7, 14, 30, 60),
    "amount": (1000, 5000, 20000, 100000, 500000),
    "interactions": (1, 2, 4, 7, 12),
}
ALPHA = 1.0  # Laplace smoothing: an unseen value neither dooms nor guarantees a deal


def bucket(name: str, value: float) -> int:
    """How many edges of the feature ``value`` reaches (PostgreSQL's width_bucket)."""
    return bisect_right(EDGES[name], value)


def features(
    kind_id: int,
    stage_id: int,
    days: float,
    amount: float,
    interactions: int,
    manager_id: int,
) -> dict[str, str]:
    """A deal's features as table keys."""
    return {
        "kind": str(kind_id),
        "stage": str(stage_id),
        "days": str(bucket("days", days)),
        "amount": str(bucket("amount", amount)),
        "interactions": str(bucket("interactions", interactions)),
        "manager": str(manager_id),
    }


@dataclass
class Model:
    """Decided examples counted: in total, and per feature value, won and lost."""

    won: int = 0
    lost: int = 0
    tables: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def add(self, values: Mapping[str, str], won: bool, count: int = 1) -> None:
        if won:
            self.won += count
        else:
            self.lost += count
        for name in FEATURES:
            cell = self.tables.setdefault(name, {}).setdefault(values[name], [0, 0])
            cell[0 if won else 1] += count

    @property
    def examples(self) -> int:
        return self.won + self.lost

    def probability(self, values: Mapping[str, str]) -> float | None:
        """P(won | values); None before any deal was decided."""
        if not self.won or not self.lost:
            return None
        log_odds = math.log(self.won / self.lost)
        for name in FEATURES:
            table = self.tables.get(name, {})
            won, lost = table.get(values[name], (0, 0))
            size = len(table) + 1  # the values seen and one unseen
            log_odds += math.log((won + ALPHA) / (self.won + ALPHA * size))
            log_odds -= math.log((lost + ALPHA) / (self.lost + ALPHA * size))
        return 1.0 / (1.0 + math.exp(-log_odds))

    def to_json(self) -> dict[str, Any]:
        return {"won": self.won, "lost": self.lost, "tables": self.tables}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Model:
        return cls(data["won"], data["lost"], {k: dict(v) for k, v in data["tables"].items()})


def fit(examples: Iterable[tuple[Mapping[str, str], bool]]) -> Model:
    model = Model()
    for values, won in examples:
        model.add(values, won)
    return model


def brier(pairs: Iterable[tuple[float, bool]]) -> float:
    """Mean squared distance between the probabilities and what happened (lower is better)."""
    found = [(p - float(won)) ** 2 for p, won in pairs]
    return sum(found) / len(found) if found else 0.0


def calibration(
    pairs: Iterable[tuple[float, bool]], bins: int = 10
) -> list[tuple[str, int, float, float]]:
    """Per probability band: its deals, their mean predicted and their observed win share."""
    bands: dict[int, list[tuple[float, bool]]] = {}
    for p, won in pairs:
        bands.setdefault(min(int(p * bins), bins - 1), []).append((p, won))
    rows = []
    for band in sorted(bands):
        members = bands[band]
        predicted = sum(p for p, _ in members) / len(members)
        observed = sum(won for _, won in members) / len(members)
        rows.append(
            (f"{band / bins:.1f}-{(band + 1) / bins:.1f}", len(members), predicted, observed)
        )
    return rows
