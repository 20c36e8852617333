"""Cron-like routine schedules: which period is current and when the next one starts."""

from datetime import UTC, datetime

import pytest

from services.scheduler.domain import cron
from services.scheduler.domain.routines import Routine, parse_routines


def utc(*args):
    return datetime(*args).replace(tzinfo=UTC)


def test_a_daily_routine_belongs_to_todays_period_after_its_time_and_yesterdays_before():
    daily = Routine("reclassify_buyers", "crm", "0 2 * * *")
    assert daily.current_period(utc(2026, 11, 26, 2, 0, 30)) == "2026-11-26T02:00Z"
    assert daily.current_period(utc(2026, 11, 26, 1, 59)) == "2026-11-25T02:00Z"
    assert daily.next_run(utc(2026, 11, 26, 2, 0)) == utc(2026, 11, 27, 2, 0)


def test_steps_lists_and_ranges():
    every_5 = cron.parse("*/5 * * * *")
    assert every_5.latest(utc(2026, 11, 26, 10, 14, 59)) == utc(2026, 11, 26, 10, 10)
    assert every_5.next_after(utc(2026, 11, 26, 10, 10)) == utc(2026, 11, 26, 10, 15)
    office = cron.parse("30 9,13 * * 1-5")
    assert office.next_after(utc(2026, 11, 27, 14, 0)) == utc(2026, 11, 30, 9, 30)  # Fri -> Mon


def test_sunday_is_0_or_7_and_either_restricted_day_field_matches():
    assert cron.parse("0 0 * * 0") == cron.parse("0 0 * * 7")
    first_or_monday = cron.parse("0 0 1 * 1")
    assert first_or_monday.next_after(utc(2026, 11, 26)) == utc(2026, 11, 30)  # a Monday
    assert first_or_monday.next_after(utc(2026, 11, 30)) == utc(2026, 12, 1)


def test_a_rare_schedule_is_found_years_ahead():
    leap_day = cron.parse("0 0 29 2 *")
    assert leap_day.next_after(utc(2026, 11, 26)) == utc(2028, 2, 29)


def test_routines_are_read_from_the_configuration_string():
    assert parse_routines("a@crm=0 2 * * *; b@notifier=*/5 * * * *;") == [
        Routine("a", "crm", "0 2 * * *"),
        Routine("b", "notifier", "*/5 * * * *"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "a@crm=0 2 * *",
        "a=0 2 * * *",
        "a@crm=61 * * * *",
        "a@crm=x * * * *",
        "a@crm=*/0 * * * *",
        "a@crm=0 0 0 * * *",
        "a@crm=@fortnightly",
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason(bad):
    with pytest.raises(ValueError, match=r"schedule|routines"):
        parse_routines(bad)


def test_names_of_days_and_months_and_aliases_are_understood():
    assert cron.parse("0 9 * * mon-fri") == cron.parse("0 9 * * 1-5")
    assert cron.parse("@daily") == cron.parse("0 0 * * *")
    winter_weekdays = cron.parse("30 8 * dec-feb mon-fri")
    assert winter_weekdays.next_after(utc(2026, 11, 26)) == utc(2026, 12, 1, 8, 30)  # a Tuesday
    assert cron.parse("@hourly").latest(utc(2026, 11, 26, 10, 59)) == utc(2026, 11, 26, 10, 0)


def test_a_scheduled_minute_is_its_own_latest_run():
    assert cron.parse("0 2 * * *").latest(utc(2026, 11, 26, 2, 0)) == utc(2026, 11, 26, 2, 0)
    assert cron.parse("0 2 * * *").latest(utc(2026, 11, 26, 1, 59, 59)) == utc(2026, 11, 25, 2, 0)


def test_a_schedule_that_never_runs_has_no_next_run():
    assert cron.parse("0 0 30 2 *").next_after(utc(2026, 11, 26)) is None
