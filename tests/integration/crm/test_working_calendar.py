"""The working calendar as a reference book: admins edit it, every change is sent whole to
the scheduler, and the CRM answers a status assignment with the call it plans from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from tests.integration.crm.support import created, field_errors, outbox_of

WEEK = {"workdays": ["mon", "tue", "wed", "thu", "fri"], "work_start": "10:00", "work_end": "19:00"}


def test_until_saved_the_configured_week_shows_and_admins_set_their_own(admin, sessions):
    assert admin.get("/api/working-calendar").json == {
        "department": None,
        "workdays": ["mon", "tue", "wed", "thu", "fri"],
        "work_start": "09:00",
        "work_end": "18:00",
        "call_time": None,
        "source": "configuration",
    }
    r = admin.put("/api/working-calendar", json={**WEEK, "call_time": "10:30"})
    assert r.status_code == 200, r.json
    assert (r.json["source"], r.json["work_start"], r.json["call_time"]) == (
        "saved",
        "10:00",
        "10:30",
    )
    [event] = outbox_of(sessions, "WorkingCalendarChanged")
    assert event.data["revision"] == 1
    assert event.data["default"]["work_start"] == "10:00"


def test_holidays_are_listed_by_year_and_each_change_sends_a_newer_revision(admin, sessions):
    christmas = created(admin, "/api/holidays", day="2026-12-25", name="Christmas")
    created(admin, "/api/holidays", day="2027-01-01", name="New year")
    night = created(admin, "/api/holidays", day="2026-12-26", department="Night shift")
    assert [h["day"] for h in admin.get("/api/holidays", query_string={"year": 2026}).json] == [
        "2026-12-25",
        "2026-12-26",
    ]
    assert admin.get(f"/api/holidays/{night['id']}").json["department"] == "Night shift"
    assert admin.delete(f"/api/holidays/{christmas['id']}").status_code == 204
    assert admin.get(f"/api/holidays/{christmas['id']}").status_code == 404
    events = outbox_of(sessions, "WorkingCalendarChanged")
    assert [e.data["revision"] for e in events] == [1, 2, 3, 4]
    assert {h["day"] for h in events[-1].data["holidays"]} == {"2027-01-01", "2026-12-26"}


def test_a_department_gets_its_own_week_and_can_give_it_back(admin, sessions):
    url = "/api/working-calendar/departments/Night shift"
    assert admin.get(url).status_code == 404
    assert (
        admin.put(url, json={**WEEK, "work_start": "13:00", "work_end": "22:00"}).json["department"]
        == "Night shift"
    )
    assert [d["department"] for d in admin.get("/api/working-calendar/departments").json] == [
        "Night shift"
    ]
    assert admin.delete(url).status_code == 204
    assert admin.get("/api/working-calendar/departments").json == []
    assert outbox_of(sessions, "WorkingCalendarChanged")[-1].data["departments"] == []


def test_only_admins_change_the_calendar_and_bad_values_are_named(admin, manager):
    assert manager.get("/api/working-calendar").status_code == 200
    assert manager.put("/api/working-calendar", json=WEEK).status_code == 403
    assert manager.post("/api/holidays", json={"day": "2026-12-25"}).status_code == 403
    cases = [
        ({**WEEK, "work_end": "08:00"}, "work_end"),
        ({**WEEK, "workdays": ["funday"]}, "workdays"),
        ({**WEEK, "workdays": []}, "workdays"),
        ({**WEEK, "call_time": "20:00"}, "call_time"),
        ({**WEEK, "work_start": "25:00"}, "work_start"),
        ({**WEEK, "shift": 2}, "shift"),
    ]
    for body, field in cases:
        assert field in field_errors(admin.put("/api/working-calendar", json=body)), body
    for body, field in [
        ({"day": "1899-12-25"}, "day"),
        ({"day": "soon"}, "day"),
        ({"day": "2026-12-25", "name": "x" * 201}, "name"),
        ({"day": "2026-12-25", "department": "d" * 201}, "department"),
    ]:
        assert field in field_errors(admin.post("/api/holidays", json=body)), body
    created(admin, "/api/holidays", day="2026-12-25")
    assert admin.post("/api/holidays", json={"day": "2026-12-25"}).status_code == 409
    long = "/api/working-calendar/departments/" + "d" * 201
    assert "department" in field_errors(admin.put(long, json=WEEK))


@pytest.fixture()
def warm(admin):
    return created(admin, "/api/interaction-statuses", name="Every day", call_interval_days=1)


def test_the_status_answer_and_the_managers_message_tell_the_planned_call(
    admin, as_role, warm, sessions
):
    manager = as_role("manager", timezone="Europe/Berlin", department="Sales")
    lead = created(manager, "/api/leads", name="Globex", responsible_id=manager.id)
    r = manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": warm["id"]})
    planned = datetime.fromisoformat(r.json["next_call_at"])
    local = planned.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5
    [note] = manager.get("/api/inbox").json
    # In the manager's language and zone: English reads "Dec 1, 2026, 9:00\u202fAM".
    assert note["text"] == (
        f"Call with Globex planned for {local:%b} {local.day}, {local.year}, 9:00\u202fAM"
    )
    [event] = outbox_of(sessions, "StatusAssigned")
    assert event.data["responsible_department"] == "Sales"


def test_the_planned_call_message_is_written_in_the_managers_language(admin, as_role, warm):
    manager = as_role("manager", timezone="Europe/Kyiv", locale="uk")
    lead = created(manager, "/api/leads", name="Globex", responsible_id=manager.id)
    r = manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": warm["id"]})
    local = datetime.fromisoformat(r.json["next_call_at"]).astimezone(ZoneInfo("Europe/Kyiv"))
    [note] = manager.get("/api/inbox").json
    day = format_date(local, "medium", locale="uk")
    assert note["text"] == f"Дзвінок клієнту Globex заплановано на {day}, 09:00"


def test_the_planned_call_follows_the_departments_week_and_skips_its_holiday(admin, as_role, warm):
    manager = as_role("manager", timezone="Europe/Berlin", department="Night shift")
    admin.put(
        "/api/working-calendar/departments/Night shift",
        json={
            **WEEK,
            "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "work_start": "13:00",
            "work_end": "22:00",
        },
    )
    lead = created(manager, "/api/leads", name="Initech", responsible_id=manager.id)
    first = manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": warm["id"]}).json
    planned = datetime.fromisoformat(first["next_call_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert planned.hour == 13
    created(admin, "/api/holidays", day=planned.date().isoformat(), department="Night shift")
    other = created(manager, "/api/leads", name="Hooli", responsible_id=manager.id)
    again = manager.post(f"/api/leads/{other['id']}/status", json={"status_id": warm["id"]}).json
    moved = datetime.fromisoformat(again["next_call_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert moved.date() > planned.date() and moved.hour == 13
