"""The lost analysis: refusals of the calling loop (call, proposal, visit) and of the inbound
process feed one table, counted by reason, stage, manager, process kind and period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.crm.adapters.work import Task
from shared.db import utcnow
from tests.integration.crm.analytics.support import call_due, read_model, rebuilt, report
from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import created


def open_task(sessions, kind: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(Task.id).where(Task.kind == kind, Task.state == "open").order_by(Task.id)
        )


def complete(client, task_id: int, outcome: str, **extra) -> dict:
    r = client.post(
        f"/api/tasks/{task_id}/complete", json={"outcome": outcome, "result": "x", **extra}
    )
    assert r.status_code == 200, r.json
    return r.json


@pytest.fixture()
def losses(world, sessions, admin):
    """Loop (the world's manager): a refused call, a refused proposal, a failed visit.
    Inbound: a refusal at the first contact and one at the proposal."""
    price = world.reason["id"]  # "Too expensive"
    timing = created(admin, "/api/refusal-reasons", name="Bad timing")["id"]
    manager = world.manager
    lead = created(manager, "/api/leads", name="Globex", responsible_id=manager.id, status_id=1)
    due = utcnow() + timedelta(hours=1)
    call_due(sessions, lead, manager.id, plan_id=1, due_at=due)
    complete(manager, open_task(sessions, "call"), "refusal", refusal_reason_id=price)
    for plan, (outcome, next_kind, failure, reason) in enumerate(
        (
            ("prepare_proposal", "proposal", "refused", timing),
            ("personal_visit", "visit", "failure", price),
        ),
        2,
    ):
        # A refusal turned the lead Cold; a call due from Hot would be stale: back to Hot first.
        r = manager.post(f"/api/leads/{lead['id']}/status", json={"status_id": 1})
        assert r.status_code == 200, r.json
        call_due(sessions, lead, manager.id, plan_id=plan, due_at=due + timedelta(minutes=plan))
        complete(manager, open_task(sessions, "call"), outcome)
        complete(manager, open_task(sessions, next_kind), failure, refusal_reason_id=reason)
    pid = world.at_first_contact()
    world.took(pid, "refusal", refusal_reason_id=timing)
    pid, _ = world.at_proposal()
    world.took(pid, "refusal", refusal_reason_id=price)
    return world, price, timing


def test_losses_by_reason_count_every_source_with_its_share(losses, admin):
    _, price, timing = losses
    result = report(admin, "lost")
    assert (result["by"], result["total"]) == ("reason", 5)
    assert [(r["key"], r["name"], r["count"], r["share"]) for r in result["rows"]] == [
        (price, "Too expensive", 3, 0.6),
        (timing, "Bad timing", 2, 0.4),
    ]


def test_losses_by_stage_process_kind_and_manager(losses, admin):
    world, _, _ = losses
    stages = {r["key"]: r["count"] for r in report(admin, "lost", by="stage")["rows"]}
    assert stages == {"call": 1, "proposal": 2, "visit": 1, "first_contact": 1}
    kinds = {
        r["key"]: (r["name"], r["count"]) for r in report(admin, "lost", by="process_kind")["rows"]
    }
    assert kinds == {
        "calling_loop": ("Calling potential counterparties", 3),
        "inbound_sales": (
            "Sales to new clients from incoming calls and other incoming requests",
            2,
        ),
    }
    managers = report(admin, "lost", by="manager")["rows"]
    assert [(r["key"], r["count"]) for r in managers] == [(world.manager.id, 5)]
    only_inbound = report(admin, "lost", by="stage", process_kind="inbound_sales")
    assert {r["key"]: r["count"] for r in only_inbound["rows"]} == {
        "first_contact": 1,
        "proposal": 1,
    }


def test_losses_fall_in_the_month_they_happened_and_a_later_period_has_none(losses, admin):
    world, _, _ = losses
    month = utcnow().date().replace(day=1)
    rows = report(admin, "lost", by="month", manager_id=world.manager.id)["rows"]
    # The manager works in UTC; near midnight a loss may fall on either side of a month.
    assert sum(r["count"] for r in rows) == 5 and rows[0]["key"] >= str(month - timedelta(days=1))
    later: dict[str, Any] = {"from": str(utcnow().date() + timedelta(days=2)), "to": "2100-01-01"}
    assert report(admin, "lost", **later)["total"] == 0


def test_a_manager_reads_only_their_own_losses(losses, as_role):
    world, _, _ = losses
    other = as_role("manager", department="Sales")
    assert report(other, "lost")["total"] == 0
    assert report(world.manager, "lost")["total"] == 5
    assert other.get(f"/api/analytics/lost?manager_id={world.manager.id}").status_code == 403


def test_lost_aggregates_equal_a_rebuild_from_the_history(losses, sessions):
    kept = read_model(sessions)
    assert sum(row[-2] for row in kept["analytics_losses"]) == 5  # the count column
    assert rebuilt(sessions) == kept
