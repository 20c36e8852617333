"""Where a call planned "in N days" lands on the manager's working calendar."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import (
    WorkingCalendar,
    due_after,
    end_of_working_day,
    from_snapshot,
    parse_holidays,
    parse_hours,
    parse_workdays,
    within_working_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = WorkingCalendar()


def local(tz, *args):
    return datetime(*args).replace(tzinfo=ZoneInfo(tz) if isinstance(tz, str) else tz)


def test_friday_afternoon_plus_one_day_lands_monday_at_nine_in_the_managers_zone():
    friday_5pm = local("America/New_York", 2026, 11, 20, 17, 0)
    due = due_after(DEFAULT, friday_5pm, 1, "America/New_York")
    assert due.astimezone(ZoneInfo("America/New_York")) == local(
        "America/New_York", 2026, 11, 23, 9, 0
    )
    assert due.tzinfo is UTC


def test_days_are_counted_on_the_managers_date_not_the_utc_date():
    # Monday 23:30 in UTC is already Tuesday in Tokyo: one day later is Wednesday there.
    monday_late_utc = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    due = due_after(DEFAULT, monday_late_utc, 1, "Asia/Tokyo")
    assert due == local("Asia/Tokyo", 2026, 11, 25, 9, 0)


def test_interval_counts_working_days_so_a_weekend_is_skipped():
    thursday = local(BERLIN, 2026, 11, 19, 11, 0)
    assert due_after(DEFAULT, thursday, 3, "Europe/Berlin") == local(BERLIN, 2026, 11, 24, 9, 0)


def test_spring_forward_weekend_keeps_nine_oclock_local_time():
    # Berlin moves to summer time on Sunday 29 March 2026: Monday 09:00 is 07:00 UTC.
    friday = local(BERLIN, 2026, 3, 27, 17, 0)
    due = due_after(DEFAULT, friday, 1, "Europe/Berlin")
    assert due == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_fall_back_weekend_keeps_nine_oclock_local_time():
    # Berlin returns to winter time on Sunday 25 October 2026: Monday 09:00 is 08:00 UTC.
    friday = local(BERLIN, 2026, 10, 23, 17, 0)
    due = due_after(DEFAULT, friday, 1, "Europe/Berlin")
    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_a_plan_made_on_the_dst_change_day_itself_lands_on_the_next_working_day():
    sunday_change = local(BERLIN, 2026, 3, 29, 10, 0)
    assert due_after(DEFAULT, sunday_change, 1, "Europe/Berlin") == local(BERLIN, 2026, 3, 30, 9, 0)


def test_call_time_inside_the_spring_gap_moves_forward_by_the_gap():
    night_shift = WorkingCalendar(
        frozenset(range(7)), time(2, 30), time(10, 0), call_time=time(2, 30)
    )
    saturday = local(BERLIN, 2026, 3, 28, 12, 0)
    due = due_after(night_shift, saturday, 1, "Europe/Berlin")
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 3, 29, 3, 30)


def test_holidays_are_skipped():
    christmas = WorkingCalendar(holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    wednesday = local(BERLIN, 2026, 12, 23, 10, 0)
    assert due_after(christmas, wednesday, 1, "Europe/Berlin") == local(BERLIN, 2026, 12, 28, 9, 0)


def test_interval_zero_is_due_at_once_even_on_a_sunday_night():
    sunday_night = local(BERLIN, 2026, 11, 22, 23, 0)
    assert due_after(DEFAULT, sunday_night, 0, "Europe/Berlin") == sunday_night


def test_custom_week_and_call_time_are_respected():
    sun_to_thu = WorkingCalendar(
        parse_workdays("sun,mon-thu"), time(8, 0), time(17, 0), call_time=time(10, 30)
    )
    thursday = local("Asia/Jerusalem", 2026, 11, 19, 12, 0)
    assert due_after(sun_to_thu, thursday, 1, "Asia/Jerusalem") == local(
        "Asia/Jerusalem", 2026, 11, 22, 10, 30
    )


def test_unknown_time_zone_falls_back_to_utc_rather_than_losing_the_call():
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert due_after(DEFAULT, friday, 1, "Mars/Olympus") == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_naive_start_and_negative_interval_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_after(DEFAULT, datetime(2026, 11, 20, 17, 0), 1, "UTC")
    with pytest.raises(ValueError, match="zero or more"):
        due_after(DEFAULT, datetime(2026, 11, 20, tzinfo=UTC), -1, "UTC")


def test_calendar_settings_parse_and_bad_ones_name_the_setting():
    assert parse_workdays("mon-fri") == frozenset(range(5))
    assert parse_hours("08:30-17:00") == (time(8, 30), time(17, 0))
    assert parse_holidays("2026-12-25, 2026-12-26") == {date(2026, 12, 25), date(2026, 12, 26)}
    for bad, parse, name in (
        ("monday", parse_workdays, "workdays"),
        ("fri-mon", parse_workdays, "workdays"),
        ("9-18", parse_hours, "work hours"),
        ("25.12.2026", parse_holidays, "holidays"),
    ):
        with pytest.raises(ValueError, match=name):
            parse(bad)
    with pytest.raises(ValueError, match="workdays"):
        WorkingCalendar(workdays=frozenset())


def test_a_call_back_inside_working_hours_stays_and_one_after_hours_moves_to_the_next_morning():
    tuesday_noon = local(BERLIN, 2026, 11, 24, 12, 0)
    assert within_working_hours(DEFAULT, tuesday_noon, "Europe/Berlin") == tuesday_noon
    early = local(BERLIN, 2026, 11, 24, 7, 30)
    assert within_working_hours(DEFAULT, early, "Europe/Berlin") == local(
        BERLIN, 2026, 11, 24, 9, 0
    )
    friday_evening = local(BERLIN, 2026, 11, 27, 18, 0)  # the end of hours is already after
    assert within_working_hours(DEFAULT, friday_evening, "Europe/Berlin") == local(
        BERLIN, 2026, 11, 30, 9, 0
    )


def test_a_call_task_is_due_at_the_end_of_its_working_day():
    tuesday_9 = local(BERLIN, 2026, 11, 24, 9, 0)
    assert end_of_working_day(DEFAULT, tuesday_9, "Europe/Berlin") == local(
        BERLIN, 2026, 11, 24, 18, 0
    )
    saturday = local(BERLIN, 2026, 11, 28, 10, 0)  # moved there by hand: Monday's end
    assert end_of_working_day(DEFAULT, saturday, "Europe/Berlin") == local(
        BERLIN, 2026, 11, 30, 18, 0
    )


def test_a_department_has_its_own_week_and_holidays_on_top_of_the_companys():
    snapshot = {
        "default": {
            "department": None,
            "workdays": ["mon", "tue", "wed", "thu", "fri"],
            "work_start": "08:00",
            "work_end": "17:00",
            "call_time": None,
        },
        "departments": [
            {
                "department": "Night",
                "workdays": ["mon", "tue", "wed", "thu", "fri", "sat"],
                "work_start": "13:00",
                "work_end": "22:00",
                "call_time": "14:30",
            }
        ],
        "holidays": [
            {"day": "2026-12-25", "department": None, "name": "Christmas"},
            {"day": "2026-12-26", "department": "Night", "name": None},
        ],
    }
    company = from_snapshot(snapshot, WorkingCalendar())
    night, sales = company.for_department("Night"), company.for_department("Sales")
    assert (sales.work_start, sales.holidays) == (time(8, 0), {date(2026, 12, 25)})
    assert night.call_time == time(14, 30) and night.is_working_day(date(2026, 11, 28))
    assert night.holidays == {date(2026, 12, 25), date(2026, 12, 26)}
    assert company.for_department(None) == company.default


def test_without_a_saved_week_the_configured_calendar_and_its_holidays_apply():
    configured = WorkingCalendar(holidays=frozenset({date(2026, 1, 1)}))
    company = from_snapshot({"default": None, "departments": [], "holidays": []}, configured)
    assert company.default == configured
