"""Periods of the reports, the days and months figures are kept by, and the timing rules.

Figures of a manager's work are kept by the manager's own calendar day (a call planned
for 09:00 in Sydney belongs to that Sydney day, not to the UTC day before); figures of
orders by UTC month. A report's period is a range of dates, both ends included; reports
kept by month cover every month the period touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.crm.domain.errors import Invalid

# Document 002: the manager is reminded 5 minutes after a request is registered.
FIRST_CONTACT_LIMIT = timedelta(minutes=5)
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def end_instant(self) -> datetime:
        """The first UTC instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    @property
    def months(self) -> tuple[date, date]:
        """First days of the first and the last month the period touches."""
        return month_of(self.start), month_of(self.end)

    @property
    def month_count(self) -> int:
        first, last = self.months
        return (last.year - first.year) * 12 + last.month - first.month + 1

    def previous(self) -> Period:
        """The months of equal number just before this period's (growth compares with it)."""
        first, _ = self.months
        end = first - timedelta(days=1)
        return Period(add_months(first, -self.month_count), end)


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def period(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for; by default the twelve months up to today. Start after end is 422."""
    end = end or today
    start = start or add_months(month_of(end), 1 - DEFAULT_MONTHS)
    if start > end:
        raise Invalid("from", f"the period starts ({start}) after it ends ({end})")
    return Period(start, end)


def local_day(moment: datetime, timezone: str | None) -> date:
    """The calendar day of ``moment`` where the employee works."""
    return moment.astimezone(ZoneInfo(timezone or "UTC")).date()


def made_on_time(due_at: datetime, done_at: datetime, timezone: str | None) -> bool:
    """A planned call is made on time when it is made by the end of its planned (local) day."""
    zone = ZoneInfo(timezone or "UTC")
    day_end = datetime.combine(local_day(due_at, timezone) + timedelta(days=1), time(), zone)
    return done_at < day_end


def within_first_contact_limit(registered_at: datetime, contacted_at: datetime) -> bool:
    return contacted_at - registered_at <= FIRST_CONTACT_LIMIT
