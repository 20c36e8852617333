"""The company's working calendar: the table's settings and holidays over the config defaults."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.orm import CalendarSettings, Holiday
from services.scheduler.domain.calendar import (
    WorkingCalendar,
    parse_holidays,
    parse_hours,
    parse_workdays,
)
from shared import config


@cache
def defaults(workdays: str, hours: str, holidays: str) -> WorkingCalendar:
    start, end = parse_hours(hours)
    return WorkingCalendar(parse_workdays(workdays), start, end, parse_holidays(holidays))


def configured(settings: config.Settings) -> WorkingCalendar:
    """The calendar the configuration describes (``SCHEDULER_WORKDAYS`` and the like)."""
    return defaults(
        settings.scheduler_workdays, settings.scheduler_work_hours, settings.scheduler_holidays
    )


def load(session: Session, settings: config.Settings | None = None) -> WorkingCalendar:
    """The calendar in force: the settings row if the company saved one, plus its holidays."""
    calendar = configured(settings or config.load())
    row = session.get(CalendarSettings, 1)
    if row is not None:
        calendar = replace(
            calendar,
            workdays=parse_workdays(row.workdays),
            work_start=row.work_start,
            work_end=row.work_end,
            call_time=row.call_time,
        )
    holidays = frozenset(session.scalars(select(Holiday.day)))
    return replace(calendar, holidays=calendar.holidays | holidays)
