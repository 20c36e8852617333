"""Working-calendar arithmetic: where a call planned "in N days" lands for one manager."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingCalendar:
    """The company's working week, hours and holidays; ``call_time`` defaults to the start."""

    workdays: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    call_time: time | None = None

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("workdays: at least one working day is needed")
        if self.work_start >= self.work_end:
            raise ValueError("work hours: the start must come before the end")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def working_day_after(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        # Every week has a working day, so this ends unless a year of holidays is listed.
        for _ in range(3660):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError("calendar: no working day within ten years")


def zone(name: str | None) -> ZoneInfo:
    """The manager's IANA zone; UTC when the name is empty or unknown, so a call is never lost."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_after(calendar: WorkingCalendar, start: datetime, days: int, tz: str | None) -> datetime:
    """When a call planned ``days`` working days after ``start`` is due, in UTC.

    Days are counted on the manager's local calendar: the call lands on the ``days``-th
    working day after the local date of ``start``, at the calendar's call time (the start
    of working hours by default). Zero days means due at ``start`` itself.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days < 0:
        raise ValueError("days must be zero or more")
    if days == 0:
        return start.astimezone(UTC)
    local_zone = zone(tz)
    day = start.astimezone(local_zone).date()
    for _ in range(days):
        day = calendar.working_day_after(day)
    return local_instant(day, calendar.call_time or calendar.work_start, local_zone)


def local_instant(day: date, at: time, local_zone: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``at`` in ``local_zone``, in UTC.

    zoneinfo reads a wall time with fold=0: one skipped by a spring-forward change comes
    out shifted forward by the gap (02:30 -> 03:30), one repeated in autumn is the first.
    """
    return datetime.combine(day, at, tzinfo=local_zone).astimezone(UTC)


def parse_workdays(text: str) -> frozenset[int]:
    """``"mon,tue,wed"`` or ``"mon-fri"`` -> weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"workdays: {part!r} is not a weekday name such as mon or mon-fri")
        lo, hi = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if hi < lo:
            raise ValueError(f"workdays: {part!r} runs backwards")
        days.update(range(lo, hi + 1))
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    """``"09:00-18:00"`` -> (start, end)."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError(f"work hours: expected HH:MM-HH:MM, got {text!r}") from None


def parse_holidays(text: str) -> frozenset[date]:
    """``"2026-12-25, 2026-12-26"`` -> dates."""
    try:
        return frozenset(date.fromisoformat(p.strip()) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise ValueError(f"holidays: {exc}") from None
