"""Call plans from events to emitted CallDue, on the real database and broker."""

from __future__ import annotations

from services.scheduler.adapters.orm import CalendarSettings, Holiday
from shared.db import transaction
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


def test_the_companys_calendar_and_holidays_decide_the_day(deliver, sessions):
    with transaction(sessions) as session:
        session.add(Holiday(day=utc(2026, 11, 23).date(), name="Company day"))
        session.add(
            CalendarSettings(
                workdays="mon-fri",
                work_start=utc(2026, 1, 1, 10).time(),
                work_end=utc(2026, 1, 1, 19).time(),
            )
        )
    deliver("StatusAssigned", status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN))
    assert plan_of(sessions, 7).next_call_at == utc(2026, 11, 24, 9, 0)  # Tue 10:00 Berlin


def test_a_redelivered_event_changes_nothing(deliver, sessions):
    data = status_assigned(7, interval=1, assigned_at=FRIDAY_5PM_BERLIN)
    env = deliver("StatusAssigned", data)
    deliver("StatusAssigned", data, message_id=env["message_id"])
    assert plan_of(sessions, 7).revision == 1
