"""Call plans from events to emitted CallDue, on the real database and broker."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.scheduler.support import plan_of, received, status_assigned, utc

FRIDAY_5PM_BERLIN = utc(2026, 11, 20, 16, 0)
MONDAY_9AM_BERLIN = utc(2026, 11, 23, 8, 0)


def test_a_status_assignment_plans_the_call_and_the_crm_hears_of_it(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))

    plan = plan_of(sessions, 7)
    assert plan.state == "planned"
    assert plan.next_call_at == MONDAY_9AM_BERLIN
    ticker.tick(now=FRIDAY_5PM_BERLIN)
    [planned] = received(queues, events)
    assert planned["type"] == "CallPlanned"
    assert planned["data"] == {
        "plan_id": plan.id,
        "subject_kind": "lead",
        "subject_id": 7,
        "responsible_id": 11,
        "status_id": 2,
        "next_call_at": MONDAY_9AM_BERLIN.isoformat(),
        "state": "planned",
        "revision": 1,
    }


def test_the_call_is_emitted_when_due_with_its_plan_and_status_version(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    ticker.tick(now=utc(2026, 11, 23, 7, 59))
    assert received(queues, events, "CallDue") == []

    ticker.tick(now=MONDAY_9AM_BERLIN)
    ticker.tick(now=MONDAY_9AM_BERLIN)  # nothing is due twice
    [due] = received(queues, events, "CallDue")
    assert due["data"]["subject_id"] == 7
    assert due["data"]["due_at"] == MONDAY_9AM_BERLIN.isoformat()
    assert due["data"]["status_version"] == 1
    assert plan_of(sessions, 7).state == "due"


def test_a_status_change_replans_and_the_stale_call_never_fires(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    # Saturday the lead cools down: Cold calls every 5 working days.
    saturday = utc(2026, 11, 21, 10, 0)
    deliver("StatusAssigned", status_assigned(7, status_id=3, interval=5, assigned_at=saturday))

    ticker.tick(now=utc(2026, 11, 27, 7, 59))  # days past Monday, the old due time
    assert received(queues, events, "CallDue") == []
    ticker.tick(now=utc(2026, 11, 27, 8, 0))  # the fifth working day, 09:00 Berlin
    [due] = received(queues, events, "CallDue")
    assert due["data"]["status_id"] == 3
    assert due["data"]["due_at"] == utc(2026, 11, 27, 8, 0).isoformat()


def test_a_late_older_assignment_does_not_undo_the_newer_one(deliver, sessions):
    older = status_assigned(7, status_id=1, interval=1, assigned_at=FRIDAY_5PM_BERLIN)
    newer = status_assigned(7, status_id=3, interval=5, assigned_at=utc(2026, 11, 21, 10, 0))
    deliver("StatusAssigned", newer)
    deliver("StatusAssigned", older)
    assert plan_of(sessions, 7).status_id == 3


def test_an_interval_change_replans_every_subject_holding_the_status(
    deliver, ticker, sessions, queues, events
):
    for lead in (7, 8):
        deliver("StatusAssigned", status_assigned(lead, interval=10, assigned_at=FRIDAY_5PM_BERLIN))
    deliver(
        "InteractionStatusChanged",
        {
            "status_id": 2,
            "name": "Warm",
            "applies_to": "both",
            "generate_calls": True,
            "call_interval_days": 1,
            "active": True,
            "version": 2,
        },
    )
    ticker.tick(now=MONDAY_9AM_BERLIN)
    dues = received(queues, events, "CallDue")
    assert sorted(d["data"]["subject_id"] for d in dues) == [7, 8]
    assert {d["data"]["status_version"] for d in dues} == {2}


def test_an_assignment_made_before_an_interval_change_is_planned_with_the_new_interval(
    deliver, sessions
):
    deliver(
        "InteractionStatusChanged",
        {
            "status_id": 2,
            "name": "Warm",
            "applies_to": "both",
            "generate_calls": True,
            "call_interval_days": 1,
            "active": True,
            "version": 2,
        },
    )
    deliver("StatusAssigned", status_assigned(7, interval=10, assigned_at=FRIDAY_5PM_BERLIN))
    plan = plan_of(sessions, 7)
    assert (plan.next_call_at, plan.status_version) == (MONDAY_9AM_BERLIN, 2)


def test_a_completed_call_plans_the_next_one_and_the_loop_goes_on(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    ticker.tick(now=MONDAY_9AM_BERLIN)
    deliver(
        "CallCompleted",
        {"subject_kind": "lead", "subject_id": 7, "completed_at": "2026-11-23T10:15:00+00:00"},
    )
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 24, 8, 0)
    ticker.tick(now=utc(2026, 11, 24, 8, 0))

    first, second = received(queues, events, "CallDue")
    assert (first["data"]["due_at"], second["data"]["due_at"]) == (
        MONDAY_9AM_BERLIN.isoformat(),
        utc(2026, 11, 24, 8, 0).isoformat(),
    )
    assert first["message_id"] != second["message_id"]


def test_a_status_without_calls_removes_the_plan_and_nothing_fires(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver(
        "StatusAssigned",
        status_assigned(
            7, status_id=4, interval=0, generate_calls=False, assigned_at=utc(2026, 11, 21)
        ),
    )
    ticker.tick(now=utc(2026, 12, 31))
    [planned] = received(queues, events)
    assert planned["type"] == "CallPlanned"
    assert (planned["data"]["state"], planned["data"]["next_call_at"]) == ("removed", None)


def test_a_manager_reschedules_the_call_to_another_moment(
    deliver, ticker, sessions, queues, events
):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    later = utc(2026, 11, 25, 13, 30)
    deliver(
        "RescheduleCall",
        {
            "subject_kind": "lead",
            "subject_id": 7,
            "due_at": later.isoformat(),
            "requested_by_id": 11,
        },
    )
    ticker.tick(now=utc(2026, 11, 25, 13, 29))
    assert [e["data"]["next_call_at"] for e in received(queues, events, "CallPlanned")] == [
        later.isoformat()
    ]
    ticker.tick(now=later)
    [due] = received(queues, events, "CallDue")
    assert due["data"]["due_at"] == later.isoformat()


def test_a_converted_leads_plan_continues_as_the_counterpartys(deliver, sessions):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    plan_id = plan_of(sessions, 7).id
    deliver("LeadConverted", {"lead_id": 7, "counterparty_id": 40, "partner_id": 3})
    deliver("SubjectArchived", {"subject_kind": "lead", "subject_id": 7})  # the old lead

    moved = plan_of(sessions, 40, "counterparty")
    assert (moved.id, moved.state, moved.next_call_at) == (plan_id, "planned", MONDAY_9AM_BERLIN)
    assert plan_of(sessions, 7) is None


def test_archiving_and_a_new_manager_change_the_plan(deliver, sessions):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver(
        "ResponsibleChanged",
        {
            "subject_kind": "lead",
            "subject_id": 7,
            "responsible_id": 12,
            "responsible_timezone": "America/New_York",
        },
    )
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 23, 14, 0)  # 09:00 in New York
    deliver("SubjectArchived", {"subject_kind": "lead", "subject_id": 7})
    assert plan_of(sessions, 7).state == "removed"


def calendar(revision, *, default=None, departments=(), holidays=()) -> dict:
    """The data of a WorkingCalendarChanged event as the CRM writes it."""
    return {
        "revision": revision,
        "default": default,
        "departments": list(departments),
        "holidays": [
            {"day": day, "department": department, "name": None} for day, department in holidays
        ],
    }


def week(start, end, department=None, workdays=("mon", "tue", "wed", "thu", "fri")) -> dict:
    return {
        "department": department,
        "workdays": list(workdays),
        "work_start": start,
        "work_end": end,
        "call_time": None,
    }


def test_the_companys_calendar_and_holidays_from_the_crm_decide_the_day(deliver, sessions):
    deliver(
        "WorkingCalendarChanged",
        calendar(1, default=week("10:00", "19:00"), holidays=[("2026-11-23", None)]),
    )
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 24, 9, 0)  # Tue 10:00 Berlin


def test_a_new_holiday_moves_the_waiting_calls_planned_on_it(deliver, sessions):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver("StatusAssigned", status_assigned(8, interval=3, assigned_at=FRIDAY_5PM_BERLIN))
    assert plan_of(sessions, 7).next_call_at == MONDAY_9AM_BERLIN
    before = plan_of(sessions, 8)

    deliver("WorkingCalendarChanged", calendar(1, holidays=[("2026-11-23", None)]))

    moved = plan_of(sessions, 7)
    assert moved.next_call_at == utc(2026, 11, 24, 8, 0)  # Tuesday 09:00 Berlin
    assert moved.revision == 2  # the CRM's read model hears of it
    # Lead 8's three working days now end on Thursday instead of Wednesday.
    assert plan_of(sessions, 8).next_call_at == before.next_call_at + timedelta(days=1)


def test_an_older_calendar_delivered_late_changes_nothing(deliver, sessions):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver("WorkingCalendarChanged", calendar(2, holidays=[("2026-11-23", None)]))
    deliver("WorkingCalendarChanged", calendar(1))
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 24, 8, 0)


def test_a_departments_own_week_and_holidays_apply_to_its_managers_only(deliver, sessions):
    sales = status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN)
    deliver("StatusAssigned", {**sales, "responsible_department": "Night sales"})
    deliver("StatusAssigned", status_assigned(8, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver(
        "WorkingCalendarChanged",
        calendar(
            1,
            departments=[week("13:00", "21:00", "Night sales")],
            holidays=[("2026-11-24", "Night sales")],
        ),
    )
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 23, 12, 0)  # Mon 13:00 Berlin
    assert plan_of(sessions, 8).next_call_at == MONDAY_9AM_BERLIN


def test_a_managers_new_time_zone_moves_their_waiting_calls(deliver, sessions):
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    deliver(
        "EmployeeChanged",
        {
            "employee_id": 11,
            "name": "Manager 11",
            "email": "m11@example.com",
            "role": "manager",
            "department": None,
            "timezone": "America/New_York",
            "active": True,
            "channels": ["in_app"],
            "webhook_url": None,
        },
    )
    plan = plan_of(sessions, 7)
    assert plan.timezone == "America/New_York"
    assert plan.next_call_at == utc(2026, 11, 23, 14, 0)  # Monday 09:00 in New York


def test_a_redelivered_event_changes_nothing(deliver, sessions):
    data = status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN)
    env = deliver("StatusAssigned", data)
    deliver("StatusAssigned", data, message_id=env["message_id"])
    assert plan_of(sessions, 7).revision == 1
