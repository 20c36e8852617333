"""Cron schedules of routines (minute hour day-of-month month day-of-week, in UTC), read by
croniter: numbers, ranges, lists, steps, names of days and months, and ``@daily`` style aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from croniter import CroniterBadDateError, CroniterError, croniter

_SEARCH_YEARS = 5  # covers "0 0 29 2 *" style schedules


@dataclass(frozen=True)
class Cron:
    """A parsed five-field schedule; equal when they run at the same minutes."""

    expression: str = field(compare=False)
    expanded: tuple[tuple[int | str, ...], ...]

    def latest(self, now: datetime) -> datetime | None:
        """The last scheduled minute at or before ``now``."""
        # From the next whole minute back, so that ``now`` itself counts when it is scheduled.
        start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        return self._step(start, backwards=True)

    def next_after(self, now: datetime) -> datetime | None:
        """The first scheduled minute strictly after ``now``."""
        return self._step(now.astimezone(UTC), backwards=False)

    def _step(self, start: datetime, *, backwards: bool) -> datetime | None:
        walker = croniter(self.expression, start, max_years_between_matches=_SEARCH_YEARS)
        try:
            found = walker.get_prev(datetime) if backwards else walker.get_next(datetime)
        except CroniterBadDateError:
            return None
        return found.astimezone(UTC)


@cache
def parse(expression: str) -> Cron:
    """Parse ``"*/5 * * * *"``, ``"0 9 * * mon-fri"`` or ``"@daily"``; ValueError names the fault."""
    text = expression.strip()
    if not text.startswith("@") and len(text.split()) != 5:
        raise ValueError(f"schedule: expected 5 fields, got {len(text.split())} in {expression!r}")
    try:
        expanded, _ = croniter.expand(text)
    except CroniterError as error:
        raise ValueError(f"schedule: {expression!r}: {error}") from None
    return Cron(text, tuple(tuple(values) for values in expanded))


def period(at: datetime) -> str:
    """The name of the period a run belongs to, e.g. ``2026-11-26T03:00Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
