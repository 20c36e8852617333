"""The main loop with every process running: status -> planned call -> task -> outcome -> status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from shared.db import utcnow
from tests import factories
from tests.e2e.conftest import ALL
from tests.helpers import eventually

# Every event the loop publishes is checked against the served AsyncAPI document.
pytestmark = pytest.mark.usefixtures("documented_events")


class Api:
    """The CRM API over HTTP, as one employee."""

    def __init__(self, url: str, token: str):
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, expect: int = 200, **kwargs):
        r = requests.request(method, self.url + path, headers=self.headers, timeout=15, **kwargs)
        assert r.status_code == expect, (method, path, r.status_code, r.text)
        return r.json() if r.content else None


@pytest.fixture()
def loop(system, sessions):
    system.start(*ALL)
    admin = Api(system.url, factories.employee(sessions, "admin")[1])
    manager_id, token = factories.employee(
        sessions, "manager", department="Sales", timezone="Europe/Berlin"
    )
    manager = Api(system.url, token)
    now_status = admin(
        "POST",
        "/api/interaction-statuses",
        201,
        json={
            "name": "Call now",
            "call_interval_days": 0,
            "generate_calls": True,
        },
    )
    reason = admin("POST", "/api/refusal-reasons", 201, json={"name": "Not interested"})
    return admin, manager, manager_id, now_status["id"], reason["id"]


def new_lead_in_the_loop(manager, manager_id, status_id, name):
    lead = manager("POST", "/api/leads", 201, json={"name": name, "responsible_id": manager_id})
    manager("POST", f"/api/leads/{lead['id']}/status", json={"status_id": status_id})
    return lead


def open_call_task(manager, lead_id):
    def probe():
        tasks = manager(
            "GET", "/api/tasks", params={"subject_id": lead_id, "kind": "call", "state": "open"}
        )
        return tasks[0] if tasks else None

    return eventually(probe, timeout=30)


def test_due_call_becomes_a_task_and_refusal_turns_the_lead_cold(loop):
    _, manager, manager_id, now_status, reason_id = loop
    lead = new_lead_in_the_loop(manager, manager_id, now_status, "Globex")
    task = open_call_task(manager, lead["id"])
    assert task["assignee_id"] == manager_id and task["title"] == "Call Globex"

    manager(
        "POST",
        f"/api/tasks/{task['id']}/complete",
        json={
            "outcome": "refusal",
            "result": "Not this year",
            "refusal_reason_id": reason_id,
        },
    )
    assert manager("GET", f"/api/leads/{lead['id']}")["status_id"] == 3  # Cold

    def plan_moved():
        plans = manager("GET", "/api/call-plans", params={"status_id": 3})
        return [p for p in plans if p["subject_id"] == lead["id"]]

    [plan] = eventually(plan_moved, timeout=30)
    assert datetime.fromisoformat(plan["next_call_at"]) > utcnow() + timedelta(days=50)
    done = manager("GET", "/api/calls/done")
    assert done[0]["subject_id"] == lead["id"] and done[0]["outcome"] == "refusal"


def test_prepare_proposal_and_personal_visit_open_the_next_tasks(loop, sessions):
    _, manager, manager_id, now_status, _ = loop
    lead = new_lead_in_the_loop(manager, manager_id, now_status, "Initech")
    task = open_call_task(manager, lead["id"])
    done = manager(
        "POST",
        f"/api/tasks/{task['id']}/complete",
        json={
            "outcome": "prepare_proposal",
            "result": "Send prices",
        },
    )
    assert done["created_tasks"][0]["kind"] == "proposal"

    # Interval 0: the completed call plans the next call right away, which becomes a new task.
    second = eventually(
        lambda: [
            t
            for t in manager(
                "GET",
                "/api/tasks",
                params={"subject_id": lead["id"], "kind": "call", "state": "open"},
            )
            if t["id"] != task["id"]
        ],
        timeout=30,
    )[0]
    done = manager(
        "POST",
        f"/api/tasks/{second['id']}/complete",
        json={
            "outcome": "personal_visit",
            "result": "Wants to meet",
        },
    )
    [visit] = done["created_tasks"]
    assert visit["kind"] == "visit" and visit["assignee_id"] == manager_id
    kinds = {t["kind"] for t in manager("GET", "/api/tasks", params={"state": "open"})}
    assert {"proposal", "visit"} <= kinds
