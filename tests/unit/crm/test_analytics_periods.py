"""Periods of the reports and the timing rules of the managers' figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.crm.analytics.domain.classification import default_period
from services.crm.analytics.domain.periods import (
    Period,
    local_day,
    made_on_time,
    period,
    within_first_contact_limit,
)
from services.crm.domain.errors import Invalid


def test_the_default_period_is_the_twelve_months_up_to_today():
    assert period(None, None, date(2026, 11, 29)) == Period(date(2025, 12, 1), date(2026, 11, 29))
    assert period(None, date(2026, 3, 15), date(2026, 11, 29)).start == date(2025, 4, 1)


def test_a_period_that_starts_after_it_ends_is_refused_naming_from():
    with pytest.raises(Invalid) as refused:
        period(date(2026, 5, 2), date(2026, 5, 1), date(2026, 11, 29))
    assert refused.value.field == "from"


def test_monthly_reports_cover_every_month_the_period_touches_and_compare_with_the_months_before():
    p = Period(date(2026, 1, 15), date(2026, 3, 2))
    assert (p.months, p.month_count) == ((date(2026, 1, 1), date(2026, 3, 1)), 3)
    assert p.previous() == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert p.end_instant == datetime(2026, 3, 3, tzinfo=UTC)


def test_the_classification_reads_the_twelve_whole_months_before_this_one():
    assert default_period(date(2026, 11, 29)) == Period(date(2025, 11, 1), date(2026, 10, 31))


def test_a_call_is_on_time_until_the_end_of_its_planned_day_where_the_manager_works():
    # 09:00 in Sydney is 22:00 UTC the day before: the call belongs to the Sydney day.
    due = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
    assert local_day(due, "Australia/Sydney") == date(2026, 3, 10)
    assert local_day(due, "UTC") == date(2026, 3, 9)
    assert made_on_time(due, datetime(2026, 3, 10, 12, 59, tzinfo=UTC), "Australia/Sydney")
    assert not made_on_time(due, datetime(2026, 3, 10, 13, 0, tzinfo=UTC), "Australia/Sydney")
    assert not made_on_time(due, datetime(2026, 3, 10, 0, 0, tzinfo=UTC), "UTC")
    assert made_on_time(due, due - timedelta(days=2), "UTC")  # early is on time


def test_the_first_contact_counts_as_in_time_within_five_minutes():
    registered = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert within_first_contact_limit(registered, registered + timedelta(minutes=5))
    assert not within_first_contact_limit(registered, registered + timedelta(minutes=5, seconds=1))
