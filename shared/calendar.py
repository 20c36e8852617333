"""Working-calendar arithmetic: where a call planned "in N days" lands for one manager.

Shared by the CRM and the scheduler so that both compute the same instant from the same
calendar: the CRM owns the working calendar (a reference book) and answers a status
assignment with the planned call at once; the scheduler, which owns the plans, receives
the calendar as a ``WorkingCalendarChanged`` snapshot and plans with the same functions.
Pure functions of their arguments: no clock, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
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


@dataclass(frozen=True)
class CompanyCalendar:
    """The company's calendar and the departments' own weeks and hours.

    Company holidays apply to every department; a department's holidays only to it.
    """

    default: WorkingCalendar = field(default_factory=WorkingCalendar)
    departments: Mapping[str, WorkingCalendar] = field(default_factory=dict)
    department_holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)

    def for_department(self, department: str | None) -> WorkingCalendar:
        """The calendar a manager of ``department`` works by.

        Parameters:
          department: the manager's department; None or one without a calendar of its
            own works by the company's week and hours.
        """
        own = self.department_holidays.get(department or "", frozenset())
        base = self.departments.get(department or "", self.default)
        return replace(base, holidays=self.default.holidays | base.holidays | own)


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


def within_working_hours(calendar: WorkingCalendar, at: datetime, tz: str | None) -> datetime:
    """``at`` if it falls inside working hours, else the next start of working hours, in UTC.

    A call back "in two hours" asked at 17:30 lands at 09:00 on the next working day.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    local_zone = zone(tz)
    local = at.astimezone(local_zone)
    day = local.date()
    if calendar.is_working_day(day):
        if local.time() < calendar.work_start:
            return local_instant(day, calendar.work_start, local_zone)
        if local.time() < calendar.work_end:
            return at.astimezone(UTC)
    return local_instant(calendar.working_day_after(day), calendar.work_start, local_zone)


def end_of_working_day(calendar: WorkingCalendar, at: datetime, tz: str | None) -> datetime:
    """The end of working hours of the working day ``at`` falls in, or of the next one.

    A call due at 09:00 may be made until 18:00 that day: only then is its task overdue.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    local_zone = zone(tz)
    local = at.astimezone(local_zone)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < calendar.work_end):
        day = calendar.working_day_after(day)
    return local_instant(day, calendar.work_end, local_zone)


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


def week_names(days: frozenset[int]) -> list[str]:
    """Weekday numbers -> ``["mon", "tue", ...]`` in week order."""
    return [WEEKDAYS[d] for d in sorted(days)]


def _week(entry: Mapping[str, Any]) -> WorkingCalendar:
    return WorkingCalendar(
        parse_workdays(",".join(entry["workdays"])),
        time.fromisoformat(entry["work_start"]),
        time.fromisoformat(entry["work_end"]),
        call_time=time.fromisoformat(entry["call_time"]) if entry.get("call_time") else None,
    )


def week_entry(calendar: WorkingCalendar, department: str | None = None) -> dict[str, Any]:
    """One calendar's week and hours as JSON primitives (the snapshot's form)."""
    return {
        "department": department,
        "workdays": week_names(calendar.workdays),
        "work_start": calendar.work_start.isoformat("minutes"),
        "work_end": calendar.work_end.isoformat("minutes"),
        "call_time": calendar.call_time.isoformat("minutes") if calendar.call_time else None,
    }


def from_snapshot(snapshot: Mapping[str, Any], fallback: WorkingCalendar) -> CompanyCalendar:
    """The company calendar a ``WorkingCalendarChanged`` snapshot describes.

    Parameters:
      snapshot: the event's data: ``default`` (or None), ``departments``, ``holidays``.
      fallback: the week and hours to use when the company saved none (configuration).
    """
    default = _week(snapshot["default"]) if snapshot.get("default") else fallback
    company: set[date] = set(fallback.holidays)
    by_department: dict[str, set[date]] = {}
    for holiday in snapshot.get("holidays", ()):
        day = date.fromisoformat(holiday["day"])
        if holiday.get("department"):
            by_department.setdefault(holiday["department"], set()).add(day)
        else:
            company.add(day)
    return CompanyCalendar(
        replace(default, holidays=frozenset(company)),
        {d["department"]: _week(d) for d in snapshot.get("departments", ())},
        {name: frozenset(days) for name, days in by_department.items()},
    )


@cache
def _configured(workdays: str, hours: str, holidays: str) -> WorkingCalendar:
    start, end = parse_hours(hours)
    return WorkingCalendar(parse_workdays(workdays), start, end, parse_holidays(holidays))


def configured(settings: Any) -> WorkingCalendar:
    """The default calendar of the configuration (``SCHEDULER_WORKDAYS`` and the like).

    Parameters:
      settings: a ``shared.config.Settings``; its calendar fields are parsed once.
    """
    return _configured(
        settings.scheduler_workdays, settings.scheduler_work_hours, settings.scheduler_holidays
    )
