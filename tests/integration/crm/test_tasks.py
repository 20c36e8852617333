"""Tasks of the calling loop: created once per due call, completed with an outcome that leads on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.crm.handlers import tasks
from shared.contracts import WEEKDAY_NAMES as WEEKDAYS
from shared.contracts import envelope
from shared.db import transaction, utcnow
from shared.messages import read
from tests.integration.crm.support import created, field_errors, outbox_of


def run_command(sessions, type_, data):
    """Apply a command as the CRM worker does, with the data loaded through its contract."""
    from services.crm.entrypoints.actors import HANDLERS

    env, message = read(envelope(type_, data))
    with transaction(sessions) as session:
        return HANDLERS[type_](session, env, message)


@pytest.fixture()
def lead(manager):
    return created(
        manager,
        "/api/leads",
        name="Globex",
        responsible_id=manager.id,
        phones=["+1 555 0101"],
        contact_name="Hank Scorpio",
        status_id=1,
    )


def call_due(
    sessions, lead, assignee_id, *, plan_id=7, status_id=1, due_at=None, status_version=None
):
    due_at = due_at or utcnow() - timedelta(minutes=1)
    run_command(
        sessions,
        "CreateTask",
        {
            "key": f"call:{plan_id}:{due_at.isoformat()}",
            "kind": "call",
            "assignee_id": assignee_id,
            "subject_kind": "lead",
            "subject_id": lead["id"],
            "due_at": due_at.isoformat(),
            "plan_id": plan_id,
            "status_id": status_id,
            "status_version": status_version,
        },
    )
    return due_at


def my_tasks(client, **query):
    r = client.get("/api/tasks", query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def test_call_due_creates_one_call_task_with_contacts_and_a_notification(sessions, manager, lead):
    due_at = call_due(sessions, lead, manager.id)
    call_due(sessions, lead, manager.id, due_at=due_at)  # redelivered command

    [task] = my_tasks(manager)
    assert task["title"] == "Call Globex"
    # Due a minute ago, but it may be made until the end of that working day: not overdue yet.
    assert task["kind"] == "call" and task["state"] == "open" and task["overdue"] is False
    assert datetime.fromisoformat(task["planned_at"]) == due_at
    assert datetime.fromisoformat(task["due_at"]) > due_at
    assert task["details"]["contacts"][0]["name"] == "Hank Scorpio"
    assert "prepare_proposal" in task["outcomes"]
    # The newest first: the task, then the planned call the lead's status announced.
    note, planned = manager.get("/api/inbox").json
    assert note["task_id"] == task["id"] and "Call Globex" in note["text"]
    assert planned["text"].startswith("Call with Globex planned for ")


def test_call_due_for_a_status_changed_meanwhile_creates_nothing(sessions, manager, lead):
    manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": 2})
    call_due(sessions, lead, manager.id, status_id=1)
    assert my_tasks(manager) == []


def test_call_due_from_a_call_rule_edited_meanwhile_creates_nothing(sessions, manager, admin, lead):
    # CallDue left the scheduler while Hot (status 1) had version 1; its rule is edited before
    # the CreateTask arrives: the scheduler re-plans from version 2, this call is stale.
    r = admin.patch("/api/interaction-statuses/1", json={"call_interval_days": 1})
    assert r.status_code == 200 and r.json["version"] == 2, r.json
    call_due(sessions, lead, manager.id, status_version=1)
    assert my_tasks(manager) == []
    call_due(sessions, lead, manager.id, plan_id=8, status_version=2)  # the re-planned call
    assert len(my_tasks(manager)) == 1


def complete(client, task_id, **body):
    return client.post(f"/api/tasks/{task_id}/complete", json=body)


def open_call(sessions, manager, lead):
    call_due(sessions, lead, manager.id)
    return my_tasks(manager, state="open")[0]


def test_talked_records_the_call_and_plans_the_next_one(sessions, manager, lead):
    task = open_call(sessions, manager, lead)
    r = complete(manager, task["id"], outcome="talked", result="Discussed the spring catalogue")
    assert r.status_code == 200, r.json
    assert r.json["task"]["state"] == "done" and r.json["created_tasks"] == []
    [completed] = outbox_of(sessions, "CallCompleted")
    assert completed.data["subject_id"] == lead["id"] and completed.data["task_id"] == task["id"]
    [closed] = outbox_of(sessions, "DocumentClosed")
    assert closed.data == {"document_kind": "task", "document_id": task["id"], "state": "done"}
    assert my_tasks(manager, state="done")[0]["result"] == "Discussed the spring catalogue"


def test_prepare_proposal_opens_a_proposal_task_for_the_same_manager(sessions, manager, lead):
    task = open_call(sessions, manager, lead)
    r = complete(manager, task["id"], outcome="prepare_proposal", result="Wants prices")
    [proposal] = r.json["created_tasks"]
    assert proposal["kind"] == "proposal" and proposal["assignee_id"] == manager.id
    assert proposal["title"] == "Prepare a commercial proposal for Globex"
    assert set(proposal["outcomes"]) == {"sent", "refused"}


def test_personal_visit_goes_to_the_partners_main_manager(sessions, manager, as_role):
    main = as_role("manager")
    partner = created(manager, "/api/partners", name="Initech", responsible_id=main.id)
    cp = created(
        manager,
        "/api/counterparties",
        name="Initech LLC",
        kind="legal_entity",
        partner_id=partner["id"],
        responsible_id=manager.id,
        status_id=1,
    )
    run_command(
        sessions,
        "CreateTask",
        {
            "key": "call:9:x",
            "kind": "call",
            "assignee_id": manager.id,
            "subject_kind": "counterparty",
            "subject_id": cp["id"],
            "due_at": utcnow().isoformat(),
            "status_id": 1,
        },
    )
    [task] = my_tasks(manager)
    r = complete(manager, task["id"], outcome="personal_visit", result="Wants to meet")
    [visit] = r.json["created_tasks"]
    assert visit["kind"] == "visit" and visit["assignee_id"] == main.id
    assert my_tasks(main)[0]["title"] == "Personal visit to the client Initech LLC"


def test_refusal_needs_a_reason_and_turns_the_subject_cold(sessions, manager, admin, lead):
    reason = created(admin, "/api/refusal-reasons", name="Too expensive")
    task = open_call(sessions, manager, lead)
    assert "refusal_reason_id" in field_errors(
        complete(manager, task["id"], outcome="refusal", result="No")
    )
    r = complete(
        manager, task["id"], outcome="refusal", result="No budget", refusal_reason_id=reason["id"]
    )
    assert r.status_code == 200, r.json
    assert manager.get(f"/api/leads/{lead['id']}").json["status_id"] == 3  # Cold
    history = manager.get(f"/api/leads/{lead['id']}/status-history").json
    assert "Too expensive" in history[-1]["reason"]


def test_renaming_the_refusal_status_keeps_refusals_working(sessions, manager, admin, lead):
    reason = created(admin, "/api/refusal-reasons", name="Too expensive")
    assert admin.patch("/api/interaction-statuses/3", json={"name": "Frozen"}).status_code == 200
    task = open_call(sessions, manager, lead)
    r = complete(
        manager, task["id"], outcome="refusal", result="No budget", refusal_reason_id=reason["id"]
    )
    assert r.status_code == 200, r.json
    assert manager.get(f"/api/leads/{lead['id']}").json["status_id"] == 3  # Frozen, once Cold


def test_the_refusal_status_is_the_one_marked_in_the_reference_book(sessions, manager, admin, lead):
    reason = created(admin, "/api/refusal-reasons", name="Too expensive")
    r = admin.patch("/api/interaction-statuses/4", json={"is_refusal": True})
    assert r.status_code == 200 and r.json["is_refusal"], r.json
    statuses = {s["id"]: s["is_refusal"] for s in admin.get("/api/interaction-statuses").json}
    assert statuses == {1: False, 2: False, 3: False, 4: True}  # marking one unmarks Cold
    task = open_call(sessions, manager, lead)
    complete(manager, task["id"], outcome="refusal", result="No", refusal_reason_id=reason["id"])
    assert manager.get(f"/api/leads/{lead['id']}").json["status_id"] == 4  # Hopeless

    admin.patch("/api/interaction-statuses/4", json={"is_refusal": False})
    manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": 1})
    task = open_call(sessions, manager, lead)
    r = complete(
        manager, task["id"], outcome="refusal", result="No", refusal_reason_id=reason["id"]
    )
    assert "outcome" in field_errors(r)  # none marked: said, not a server error


def test_visit_failure_and_refused_proposal_also_turn_the_subject_cold(
    sessions, manager, admin, lead
):
    reason = created(admin, "/api/refusal-reasons", name="Chose a competitor")
    task = open_call(sessions, manager, lead)
    [visit] = complete(manager, task["id"], outcome="personal_visit", result="Meet").json[
        "created_tasks"
    ]
    r = complete(
        manager,
        visit["id"],
        outcome="failure",
        result="Nobody came",
        refusal_reason_id=reason["id"],
    )
    assert r.status_code == 200, r.json
    assert manager.get(f"/api/leads/{lead['id']}").json["status_id"] == 3


def always_working(admin, manager) -> None:
    """A calendar of every day, 00:00-23:59, and a manager's zone whose clock is not near
    midnight two hours from now: a call back after the delay stays where the delay puts it."""
    week = {"workdays": list(WEEKDAYS), "work_start": "00:00", "work_end": "23:59"}
    assert admin.put("/api/working-calendar", json=week).status_code == 200
    soon = utcnow() + timedelta(hours=2)
    zone = next(z for z in ("UTC", "Asia/Tokyo") if soon.astimezone(ZoneInfo(z)).hour < 22)
    assert manager.patch(f"/api/employees/{manager.id}", json={"timezone": zone}).status_code == 200


def test_no_answer_reschedules_the_call_after_the_short_delay(sessions, admin, manager, lead):
    always_working(admin, manager)
    task = open_call(sessions, manager, lead)
    before = utcnow()
    r = complete(manager, task["id"], outcome="no_answer", result="Voicemail")
    [command] = outbox_of(sessions, "RescheduleCall")
    due = datetime.fromisoformat(command.data["due_at"])
    assert timedelta(minutes=119) < due - before < timedelta(minutes=121)
    assert datetime.fromisoformat(r.json["next_call_at"]) == due
    assert outbox_of(sessions, "CallCompleted") == []


def test_a_call_back_after_hours_lands_in_the_next_working_morning(sessions, manager, lead):
    task = open_call(sessions, manager, lead)
    r = complete(
        manager,
        task["id"],
        outcome="no_answer",
        result="Closed for the day",
        call_back_at="2030-01-04T19:30:00+01:00",  # Friday evening in Berlin
    )
    monday_morning = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    assert datetime.fromisoformat(r.json["next_call_at"]) == monday_morning
    [command] = outbox_of(sessions, "RescheduleCall")
    assert datetime.fromisoformat(command.data["due_at"]) == monday_morning


def test_call_back_later_uses_the_time_the_manager_picks(sessions, manager, lead):
    task = open_call(sessions, manager, lead)
    r = complete(
        manager,
        task["id"],
        outcome="call_back_later",
        result="Busy",
        call_back_at="2030-01-02T10:00:00+01:00",
    )
    assert r.status_code == 200
    [command] = outbox_of(sessions, "RescheduleCall")
    assert datetime.fromisoformat(command.data["due_at"]) == datetime.fromisoformat(
        "2030-01-02T10:00:00+01:00"
    )


def test_set_cyclicality_assigns_the_chosen_status(sessions, manager, lead):
    task = open_call(sessions, manager, lead)
    assert "status_id" in field_errors(
        complete(manager, task["id"], outcome="set_cyclicality", result="x")
    )
    complete(
        manager, task["id"], outcome="set_cyclicality", result="Monthly is enough", status_id=2
    )
    assert manager.get(f"/api/leads/{lead['id']}").json["status_id"] == 2


def test_completion_is_refused_without_result_with_a_foreign_outcome_or_twice(
    sessions, manager, lead
):
    task = open_call(sessions, manager, lead)
    assert "result" in field_errors(complete(manager, task["id"], outcome="talked"))
    errors = field_errors(complete(manager, task["id"], outcome="sent", result="x"))
    assert "prepare_proposal" in errors["outcome"][0]
    assert complete(manager, task["id"], outcome="talked", result="ok").status_code == 200
    assert complete(manager, task["id"], outcome="talked", result="again").status_code == 409


def test_managers_see_their_own_tasks_and_heads_their_departments(sessions, as_role, lead, manager):
    mine = as_role("manager", department="Sales")
    other = as_role("manager", department="Sales")
    head = as_role("head_of_sales", department="Sales")
    outsider = as_role("head_of_sales", department="Export")
    call_due(sessions, lead, mine.id, plan_id=1)
    call_due(sessions, lead, other.id, plan_id=2)
    [task] = my_tasks(mine)
    assert other.get(f"/api/tasks/{task['id']}").status_code == 404
    assert other.get("/api/tasks", query_string={"assignee_id": mine.id}).status_code == 403
    assert {t["assignee_id"] for t in my_tasks(head)} == {mine.id, other.id}
    assert my_tasks(outsider) == []


def test_overdue_filter_and_escalation_once_per_task(sessions, manager, lead):
    # A Monday's call is overdue once that working day has ended; next year's is not yet.
    call_due(sessions, lead, manager.id, plan_id=1, due_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    call_due(sessions, lead, manager.id, plan_id=2, due_at=utcnow() + timedelta(days=400))
    [overdue] = my_tasks(manager, state="overdue")
    assert overdue["due_at"] == "2026-01-05T17:00:00+00:00"  # 18:00 in Berlin
    assert overdue["overdue"] is True
    for _ in range(2):
        with transaction(sessions) as session:
            tasks.escalate_overdue(session, overdue_minutes=60)
    [event] = outbox_of(sessions, "TaskOverdue")
    assert event.data["assignee_id"] == manager.id


def test_manual_task_for_an_executor(manager, as_role):
    executor = as_role("executor", department="Execution")
    r = manager.post(
        "/api/tasks",
        json={
            "kind": "assignment",
            "title": "Consultation of a potential client",
            "assignee_id": executor.id,
            "due_at": "2030-01-01T10:00:00+00:00",
        },
    )
    assert r.status_code == 201, r.json
    assert my_tasks(executor)[0]["author_id"] == manager.id
    assert "due_at" in field_errors(
        manager.post(
            "/api/tasks",
            json={
                "kind": "assignment",
                "assignee_id": executor.id,
                "due_at": "2030-01-01T10:00:00",
            },
        )
    )


def test_a_task_about_a_lead_converted_meanwhile_carries_on_with_its_counterparty(
    sessions, manager, admin, lead
):
    reason = created(admin, "/api/refusal-reasons", name="Went bankrupt")
    task = open_call(sessions, manager, lead)
    counterparty = created(manager, f"/api/leads/{lead['id']}/convert", kind="legal_entity")
    r = complete(
        manager, task["id"], outcome="refusal", result="Closed", refusal_reason_id=reason["id"]
    )
    assert r.status_code == 200, r.json
    assert r.json["task"]["subject_kind"] == "counterparty"
    assert manager.get(f"/api/counterparties/{counterparty['id']}").json["status_id"] == 3
    [completed] = outbox_of(sessions, "CallCompleted")
    assert completed.data["subject_kind"] == "counterparty"


def test_the_calls_panel_lists_done_calls_with_their_outcome(sessions, manager, as_role, lead):
    task = open_call(sessions, manager, lead)
    complete(manager, task["id"], outcome="talked", result="Agreed on a demo")
    other = as_role("manager")
    [done] = manager.get("/api/calls/done").json
    assert done["subject_name"] == "Globex" and done["outcome"] == "talked"
    assert done["result"] == "Agreed on a demo" and done["status_id"] == 1
    assert manager.get("/api/calls/done", query_string={"subject_kind": "counterparty"}).json == []
    assert manager.get("/api/calls/done", query_string={"status_id": 2}).json == []
    assert other.get("/api/calls/done").json == []
