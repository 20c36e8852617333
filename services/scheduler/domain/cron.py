"""Cron-like schedules of routines (minute hour day-of-month month day-of-week, in UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_SEARCH_DAYS = 366 * 5  # covers "29 2 *" style schedules


@dataclass(frozen=True)
class Cron:
    """A parsed five-field schedule; ``weekday`` uses cron numbering (Sunday 0 or 7)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python numbering: Monday 0
    any_day: bool
    any_weekday: bool

    def runs_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day, by_weekday = day.day in self.days, day.weekday() in self.weekdays
        # Cron's rule: when both day fields are restricted, either one matching is enough.
        if not self.any_day and not self.any_weekday:
            return by_day or by_weekday
        return by_day and by_weekday

    def latest(self, now: datetime) -> datetime | None:
        """The last scheduled minute at or before ``now``."""
        now = now.astimezone(UTC).replace(second=0, microsecond=0)
        for offset in range(_SEARCH_DAYS):
            day = now.date() - timedelta(days=offset)
            if not self.runs_on(day):
                continue
            for hour in reversed(self.hours):
                for minute in reversed(self.minutes):
                    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if at <= now:
                        return at
        return None

    def next_after(self, now: datetime) -> datetime | None:
        """The first scheduled minute strictly after ``now``."""
        now = now.astimezone(UTC)
        for offset in range(_SEARCH_DAYS):
            day = now.date() + timedelta(days=offset)
            if not self.runs_on(day):
                continue
            for hour in self.hours:
                for minute in self.minutes:
                    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if at > now:
                        return at
        return None


@cache
def parse(expression: str) -> Cron:
    """Parse ``"*/5 * * * *"``: numbers, ``*``, ranges ``a-b``, lists ``a,b`` and steps ``/n``."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"schedule: expected 5 fields, got {len(parts)} in {expression!r}")
    values = [_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = values
    return Cron(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset((d - 1) % 7 for d in weekdays),  # cron Sunday 0/7 -> Python 6
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


def period(at: datetime) -> str:
    """The name of the period a run belongs to, e.g. ``2026-11-26T03:00Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _field(text: str, name: str, lo: int, hi: int) -> set[int]:
    result: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = lo, hi
            elif "-" in body:
                start, end = (int(x) for x in body.split("-", 1))
            else:
                start = end = int(body)
                if step_text:
                    end = hi
        except ValueError:
            raise ValueError(
                f"schedule: {name} {item!r} is not a number, range or */step"
            ) from None
        if step < 1 or not lo <= start <= end <= hi:
            raise ValueError(f"schedule: {name} {item!r} is outside {lo}-{hi}")
        result.update(range(start, end + 1, step))
    return result
