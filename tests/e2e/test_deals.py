"""Deals with every service running as its own OS process: an interaction becomes a deal of a
business-process kind whose stage tasks walk it to won, the timeline shows every step, and a
deal nobody talks about reminds its manager once, then the head."""

from __future__ import annotations

import time

import pytest

from tests import factories
from tests.e2e.conftest import ALL
from tests.e2e.test_claims import inbox_text
from tests.e2e.test_sales_process import DELIVERY_TIMEOUT, Api
from tests.helpers import eventually

QUIET_SECONDS = 6


@pytest.fixture()
def office(system, sessions):
    system.env["DEAL_QUIET_DAYS"] = str(QUIET_SECONDS / 86400)
    system.env["DEAL_STALL_ESCALATE_SECONDS"] = "3"
    system.start(*ALL)

    def as_role(role, **fields):
        return Api(system.url, factories.employee(sessions, role, **fields))

    admin = as_role("admin")
    manager = as_role("manager", department="Sales")
    head = as_role("head_of_sales", department="Sales")
    partner = admin("POST", "/api/partners", 201, json={"name": "Globex"})
    customer = admin(
        "POST",
        "/api/counterparties",
        201,
        json={
            "name": "Globex LLC",
            "partner_id": partner["id"],
            "kind": "legal_entity",
            "responsible_id": manager.id,
        },
    )
    return admin, manager, head, customer


def stage_tasks(client: Api) -> list[dict]:
    return client("GET", "/api/tasks", params={"kind": "deal_stage", "state": "open"})


def test_an_interaction_becomes_a_process_deal_whose_stage_tasks_walk_it_to_won(office):
    admin, manager, head, customer = office
    stages = [
        {"code": "documents", "name": "Tender documents", "duration_days": 2},
        {"code": "approval", "name": "Price approval", "performer": "head", "duration_days": 1},
    ]
    kind = admin(
        "POST", "/api/deal-kinds", 201, json={"name": "Tender", "mode": "process", "stages": stages}
    )
    call = manager(
        "POST",
        "/api/interactions",
        201,
        json={
            "kind": "call",
            "subject": "Tender announced",
            "participants": [{"kind": "counterparty", "id": customer["id"]}],
        },
    )
    deal = manager(
        "POST",
        f"/api/interactions/{call['id']}/deal",
        201,
        json={"name": "City tender", "kind_id": kind["id"]},
    )
    manager("POST", f"/api/deals/{deal['id']}/post")
    [first] = stage_tasks(manager)
    assert eventually(lambda: inbox_text(manager, "City tender"), timeout=DELIVERY_TIMEOUT)
    manager("POST", f"/api/tasks/{first['id']}/complete", json={"outcome": "done", "result": "ok"})
    [second] = stage_tasks(head)
    head("POST", f"/api/tasks/{second['id']}/complete", json={"outcome": "done", "result": "ok"})
    assert manager("GET", f"/api/deals/{deal['id']}")["state"] == "won"
    timeline = manager("GET", f"/api/deals/{deal['id']}/timeline")
    entries = [e["entry"] for e in timeline]
    assert entries.count("stage_change") == 3  # two stages entered, then won
    assert entries.count("task") == 2 and entries.count("task_outcome") == 2
    assert "call" in entries
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


def test_a_deal_nobody_talks_about_reminds_its_manager_once_then_the_head(office):
    admin, manager, head, customer = office
    stages = [{"code": "talks", "name": "Talks", "duration_days": 30}]
    kind = admin(
        "POST", "/api/deal-kinds", 201, json={"name": "Simple", "mode": "manual", "stages": stages}
    )
    deal = manager(
        "POST",
        "/api/deals",
        201,
        json={"name": "Forgotten pumps", "kind_id": kind["id"], "counterparty_id": customer["id"]},
    )
    assert eventually(
        lambda: inbox_text(manager, "Forgotten pumps", "too long"),
        timeout=DELIVERY_TIMEOUT,
        interval=0.3,
    )
    assert eventually(
        lambda: inbox_text(head, "Forgotten pumps"), timeout=DELIVERY_TIMEOUT, interval=0.3
    )
    time.sleep(QUIET_SECONDS)  # a repeated timer or message would have arrived by now
    notes = [n for n in manager("GET", "/api/inbox") if "Forgotten pumps" in n["text"]]
    assert len(notes) == 1
    assert manager("GET", f"/api/deals/{deal['id']}")["state"] == "in_progress"
