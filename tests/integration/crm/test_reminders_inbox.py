"""Reminders set through the API, the in-app inbox, and the directory the notifier follows."""

from __future__ import annotations

from sqlalchemy import select

from services.crm.adapters.work import Notification
from shared.contracts import envelope
from shared.db import transaction
from shared.messages import read
from tests.integration.crm.support import created, field_errors, outbox_of


def deliver(sessions, key, recipient_id, text="Call Globex now"):
    from services.crm.entrypoints.actors import HANDLERS

    env, message = read(
        envelope("DeliverInApp", {"key": key, "recipient_id": recipient_id, "text": text})
    )
    with transaction(sessions) as session:
        HANDLERS["DeliverInApp"](session, env, message)


def test_a_reminder_is_recorded_and_handed_to_the_notifier(manager, sessions):
    r = manager.post(
        "/api/reminders",
        json={
            "recipient_id": manager.id,
            "text": "Send the contract",
            "remind_at": "2030-05-01T09:00:00+02:00",
        },
    )
    assert r.status_code == 201, r.json
    [event] = outbox_of(sessions, "ReminderScheduled")
    assert event.data["reminder_id"] == r.json["id"]
    assert event.data["remind_at"] == "2030-05-01T09:00:00+02:00"
    assert manager.get("/api/reminders").json[0]["text"] == "Send the contract"


def test_cancelling_a_reminder_tells_the_notifier_once(manager, sessions):
    reminder = created(
        manager,
        "/api/reminders",
        recipient_id=manager.id,
        text="x",
        remind_at="2030-05-01T09:00:00+00:00",
    )
    assert manager.delete(f"/api/reminders/{reminder['id']}").json["state"] == "cancelled"
    assert manager.delete(f"/api/reminders/{reminder['id']}").status_code == 409
    assert len(outbox_of(sessions, "ReminderCancelled")) == 1


def test_bad_reminders_are_refused_with_the_field(manager, as_role):
    executor = as_role("executor")
    base = {"recipient_id": manager.id, "text": "x", "remind_at": "2030-05-01T09:00:00+00:00"}
    assert "remind_at" in field_errors(
        manager.post("/api/reminders", json={**base, "remind_at": "2030-05-01T09:00"})
    )
    assert "basis_id" in field_errors(
        manager.post("/api/reminders", json={**base, "basis_kind": "task", "basis_id": 999})
    )
    assert "basis_kind" in field_errors(
        manager.post("/api/reminders", json={**base, "basis_kind": "spaceship", "basis_id": 1})
    )
    assert "recipient_id" in field_errors(
        manager.post("/api/reminders", json={**base, "recipient_id": 99999})
    )
    assert executor.post("/api/reminders", json=base).status_code == 403


def test_in_app_delivery_is_once_per_key_and_can_be_marked_read(manager, as_role, sessions):
    other = as_role("manager")
    deliver(sessions, "reminder:1:in_app", manager.id)
    deliver(sessions, "reminder:1:in_app", manager.id)
    with sessions() as s:
        assert len(s.scalars(select(Notification)).all()) == 1
    [note] = manager.get("/api/inbox", query_string={"unread": "true"}).json
    assert other.post(f"/api/inbox/{note['id']}/read").status_code == 404
    assert manager.post(f"/api/inbox/{note['id']}/read").json["read_at"] is not None
    assert manager.get("/api/inbox", query_string={"unread": "true"}).json == []


def test_employee_changes_reach_the_notifiers_directory(admin, sessions, as_role):
    emp = created(
        admin,
        "/api/employees",
        name="Nina",
        email="nina@example.com",
        role="manager",
        department="Sales",
        channels=["in_app", "email"],
    )
    events = [
        e for e in outbox_of(sessions, "EmployeeChanged") if e.data["employee_id"] == emp["id"]
    ]
    assert events[-1].data["channels"] == ["in_app", "email"]
    assert "channels" in field_errors(
        admin.patch(f"/api/employees/{emp['id']}", json={"channels": ["pigeon"]})
    )


def test_employees_set_their_own_channels_but_not_their_role(as_role):
    me = as_role("manager")
    r = me.patch(
        f"/api/employees/{me.id}",
        json={"channels": ["webhook"], "webhook_url": "https://hooks.example/me"},
    )
    assert r.status_code == 200, r.json
    assert r.json["channels"] == ["webhook"]
    assert me.patch(f"/api/employees/{me.id}", json={"role": "admin"}).status_code == 403


def apply(sessions, type_, data):
    from services.crm.entrypoints.actors import HANDLERS

    env, message = read(envelope(type_, data))
    with transaction(sessions) as session:
        HANDLERS[type_](session, env, message)


def test_a_reminders_state_follows_its_life_scheduled_delivered_or_cancelled(manager, sessions):
    def make(text):
        return created(
            manager,
            "/api/reminders",
            recipient_id=manager.id,
            text=text,
            remind_at="2030-05-01T09:00:00+00:00",
        )

    delivered, kept = make("Send the contract"), make("Call back")
    assert delivered["state"] == "scheduled"
    moment = "2030-05-01T09:00:02+00:00"
    data = {"reminder_id": delivered["id"], "delivered_at": moment, "channels": ["in_app"]}
    apply(sessions, "ReminderDelivered", data)
    apply(sessions, "ReminderDelivered", data)  # at least once: the same answer
    shown = {r["id"]: r for r in manager.get("/api/reminders").json}
    assert shown[delivered["id"]]["state"] == "delivered"
    assert shown[delivered["id"]]["delivered_at"] == moment
    assert shown[kept["id"]]["state"] == "scheduled"


def test_reminders_on_a_document_that_closes_are_cancelled_here_too(manager, sessions):
    task = created(
        manager,
        "/api/tasks",
        kind="other",
        title="Prepare",
        assignee_id=manager.id,
        due_at="2030-01-01T10:00:00+00:00",
    )
    reminder = created(
        manager,
        "/api/reminders",
        recipient_id=manager.id,
        text="Prepare!",
        remind_at="2030-01-01T09:00:00+00:00",
        basis_kind="task",
        basis_id=task["id"],
    )
    manager.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "result": "ok"})
    [shown] = [r for r in manager.get("/api/reminders").json if r["id"] == reminder["id"]]
    assert shown["state"] == "cancelled"
