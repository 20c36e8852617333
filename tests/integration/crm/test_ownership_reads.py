"""Who sees which work: the calls panel and task listings follow the ownership rule;
another system's command is not an employee's and is never refused by it.

Admins see all; a head of sales their department's; a manager their own; a head with no
department nobody else's, and work of unclear owners (no department, nobody) only admins.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.crm.adapters.work import Task
from services.crm.handlers import calls
from services.crm.handlers.tasks import open_task
from shared.contracts import CRM, envelope
from shared.db import transaction, utcnow
from shared.messages import CallPlanned
from shared.publisher import to_queue
from tests.helpers import eventually, running_worker
from tests.integration.crm.support import created


@pytest.fixture()
def office(as_role, admin, sessions):
    """Managers of North and South, one of no department, the pool: a lead and a call each."""
    people = {
        "north": as_role("manager", department="North"),
        "south": as_role("manager", department="South"),
        "nowhere": as_role("manager"),
    }
    owners = {name: person.id for name, person in people.items()} | {"pool": None}
    with transaction(sessions) as session:
        for n, (name, owner) in enumerate(owners.items(), 1):
            lead = created(admin, "/api/leads", name=name, responsible_id=owner)["id"]
            calls.apply_call_planned(
                session,
                CallPlanned(
                    plan_id=n,
                    subject_kind="lead",
                    subject_id=lead,
                    responsible_id=owner,
                    status_id=1,
                    next_call_at=utcnow() + timedelta(hours=n),
                    state="planned",
                    revision=1,
                ),
            )
            if owner is not None:
                task = Task(kind="call", title=name, assignee_id=owner, due_at=utcnow())
                task.subject_kind, task.subject_id = "lead", lead
                open_task(session, task)
    return people


def plans(client) -> list[str]:
    r = client.get("/api/call-plans")
    assert r.status_code == 200, r.json
    return [p["subject_name"] for p in r.json]


def tasks(client) -> list[str]:
    r = client.get("/api/tasks")
    assert r.status_code == 200, r.json
    return sorted(t["title"] for t in r.json)


def test_a_head_of_sales_sees_only_their_departments_calls_and_tasks(office, as_role):
    head = as_role("head_of_sales", department="North")
    assert plans(head) == ["north"]
    assert tasks(head) == ["north"]


def test_a_head_with_no_department_sees_nothing_of_unclear_owners(office, as_role):
    for role in ("head_of_sales", "head_of_execution"):
        head = as_role(role)
        assert tasks(head) == []
    assert plans(as_role("head_of_sales")) == []


def test_a_manager_sees_their_own_and_an_admin_everything(office, admin):
    assert plans(office["south"]) == ["south"] and tasks(office["south"]) == ["south"]
    assert plans(office["nowhere"]) == ["nowhere"]
    assert plans(admin) == ["north", "south", "nowhere", "pool"]
    assert tasks(admin) == ["north", "nowhere", "south"]


def test_a_head_cannot_open_another_departments_task(office, as_role):
    head = as_role("head_of_sales", department="North")
    south = office["south"]
    [task] = south.get("/api/tasks").json
    assert head.get(f"/api/tasks/{task['id']}").status_code == 404
    assert south.get(f"/api/tasks/{task['id']}").status_code == 200


def test_a_status_assigned_by_another_systems_message_is_not_refused(office, broker, admin):
    # Commands over the broker come from trusted systems: no employee's ownership applies.
    lead = created(admin, "/api/leads", name="Wayne", responsible_id=office["south"].id)["id"]
    with running_worker(broker, CRM):
        data = {"subject_kind": "lead", "subject_id": lead, "status_id": 2, "reason": "CRM sync"}
        to_queue(broker, CRM, envelope("AssignStatus", data))
        eventually(lambda: admin.get(f"/api/leads/{lead}").json["status_id"] == 2)
