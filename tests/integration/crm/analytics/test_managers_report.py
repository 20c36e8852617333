"""Manager performance from the calling loop and the inbound process, against a small history
whose figures are counted here by hand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from services.crm.adapters.work import Task
from services.crm.handlers import tasks
from shared.db import transaction, utcnow
from tests.integration.crm.analytics.support import (
    call_due,
    read_model,
    rebuilt,
    report,
    rows_by,
)
from tests.integration.crm.support import created

CONTACT = {"presentation": "Hank Scorpio", "phone": "+1 555 0101"}


def task_of(sessions, plan_id: int) -> int:
    with sessions() as session:
        return session.scalar(select(Task.id).where(Task.plan_id == plan_id))


def complete(client, task_id: int, outcome: str, **extra) -> None:
    r = client.post(
        f"/api/tasks/{task_id}/complete", json={"outcome": outcome, "result": "done", **extra}
    )
    assert r.status_code == 200, r.json


def first_contact(client_secretary, manager, sessions, *, handed_over_ago: timedelta) -> None:
    """A request registered for ``manager``, whose first contact they take up after a while."""
    process = created(
        client_secretary,
        "/api/processes",
        contacts=[CONTACT],
        transferred_to_id=manager.id,
    )
    registration = process["current_document"]["id"]
    r = client_secretary.post(f"/api/documents/{registration}/complete", json={})
    assert r.status_code == 200, r.json
    first = manager.get(f"/api/processes/{process['id']}").json["current_document"]["id"]
    with transaction(sessions) as session:
        session.execute(
            text("UPDATE crm.interactions SET created_at = now() - :ago WHERE id = :id"),
            {"ago": handed_over_ago, "id": first},
        )
    assert manager.post(f"/api/documents/{first}/start").status_code == 200


@pytest.fixture()
def history(as_role, admin, sessions):
    """Alice and Bob in Sales under Helen, Carol in Export; calls, refusals, first contacts."""
    helen = as_role("head_of_sales", department="Sales")
    # West of UTC: their local days never run ahead of the UTC day the reports end on, so a
    # call due in an hour or two counts today at any hour (in Berlin after 22:00 UTC, or in
    # UTC after 23:00, it fell on tomorrow and out of the report).
    alice = as_role("manager", department="Sales", timezone="America/New_York")
    bob = as_role("manager", department="Sales", timezone="America/New_York")
    carol = as_role("manager", department="Export")
    reason = created(admin, "/api/refusal-reasons", name="No budget")
    lead = created(alice, "/api/leads", name="Globex", responsible_id=alice.id, status_id=1)
    bob_lead = created(bob, "/api/leads", name="Initech", responsible_id=bob.id, status_id=1)
    now = utcnow()
    # Alice: made early (on time), made 3 days late, left open and escalated, cancelled.
    for plan, due in ((1, now + timedelta(hours=1)), (2, now - timedelta(days=3))):
        call_due(sessions, lead, alice.id, plan_id=plan, due_at=due)
    call_due(sessions, lead, alice.id, plan_id=3, due_at=now - timedelta(days=3, minutes=5))
    call_due(sessions, lead, alice.id, plan_id=4, due_at=now + timedelta(hours=2))
    complete(alice, task_of(sessions, 1), "talked")
    complete(alice, task_of(sessions, 2), "no_answer")
    assert alice.post(f"/api/tasks/{task_of(sessions, 4)}/cancel").status_code == 200
    with transaction(sessions) as session:
        assert tasks.escalate_overdue(session, 60) == 1
    # Bob: one call, made on time, ending in a refusal.
    call_due(sessions, bob_lead, bob.id, plan_id=5, due_at=now + timedelta(hours=1))
    complete(bob, task_of(sessions, 5), "refusal", refusal_reason_id=reason["id"])
    # Alice takes up one first contact at once and one ten minutes after it was handed over.
    secretary = as_role("secretary")
    first_contact(secretary, alice, sessions, handed_over_ago=timedelta(seconds=0))
    first_contact(secretary, alice, sessions, handed_over_ago=timedelta(minutes=10))
    return helen, alice, bob, carol


def test_each_managers_calls_overdue_work_and_first_contacts_add_up(history, admin):
    helen, alice, bob, carol = history
    rows = rows_by(report(admin, "managers"), "manager_id")

    a = rows[alice.id]
    assert (a["planned_calls"], a["calls_made"], a["calls_on_time"]) == (4, 2, 1)
    assert (a["made_share"], a["on_time_share"]) == (0.5, 0.25)
    assert (a["calls_cancelled"], a["tasks_overdue"], a["overdue_now"]) == (1, 1, 1)
    assert (a["first_contacts"], a["first_contacts_in_time"]) == (2, 1)
    assert a["first_contacts_in_time_share"] == 0.5
    assert 300 <= a["first_contact_avg_seconds"] <= 330  # (a moment + 600 s) / 2
    b = rows[bob.id]
    assert (b["planned_calls"], b["calls_made"], b["calls_on_time"], b["on_time_share"]) == (
        1,
        1,
        1,
        1.0,
    )
    assert (b["first_contacts"], b["first_contact_avg_seconds"]) == (0, None)
    # Ranked within the department by the share made on time; Helen has no calls at all.
    assert [(rows[e.id]["department"], rows[e.id]["rank"]) for e in (bob, alice, helen)] == [
        ("Sales", 1),
        ("Sales", 2),
        ("Sales", 3),
    ]
    assert (rows[carol.id]["department"], rows[carol.id]["rank"]) == ("Export", 1)


def test_the_period_and_the_process_kind_select_the_figures(history, admin):
    _, alice, _, _ = history
    today = utcnow().date()
    # Only the calls due from yesterday on: the two late ones fall out.
    since_yesterday: dict[str, Any] = {"from": str(today - timedelta(days=1))}
    recent = rows_by(report(admin, "managers", **since_yesterday), "manager_id")
    assert (recent[alice.id]["planned_calls"], recent[alice.id]["calls_made"]) == (2, 1)
    assert recent[alice.id]["tasks_overdue"] == 0
    inbound = rows_by(report(admin, "managers", process_kind="inbound_sales"), "manager_id")
    assert (inbound[alice.id]["planned_calls"], inbound[alice.id]["first_contacts"]) == (0, 2)
    loop = rows_by(report(admin, "managers", process_kind="calling_loop"), "manager_id")
    assert (loop[alice.id]["planned_calls"], loop[alice.id]["first_contacts"]) == (4, 0)


def test_managers_see_their_own_figures_heads_their_department_admins_everyone(history, admin):
    helen, alice, bob, carol = history
    assert set(rows_by(report(alice, "managers"), "manager_id")) == {alice.id}
    assert set(rows_by(report(helen, "managers"), "manager_id")) == {helen.id, alice.id, bob.id}
    assert {carol.id, alice.id} <= set(rows_by(report(admin, "managers"), "manager_id"))
    assert report(helen, "managers", manager_id=alice.id)["rows"][0]["calls_made"] == 2
    refused = [
        (alice, {"manager_id": bob.id}),
        (alice, {"department": "Sales"}),
        (helen, {"department": "Export"}),
        (helen, {"manager_id": carol.id}),
        (carol, {"manager_id": alice.id}),
    ]
    for client, query in refused:
        assert client.get("/api/analytics/managers", query_string=query).status_code == 403, query


def test_the_managers_report_exports_as_csv_by_header_or_parameter(history, admin):
    _, alice, _, _ = history
    by_header = admin.get("/api/analytics/managers", headers={"Accept": "text/csv"})
    by_parameter = admin.get("/api/analytics/managers?format=csv")
    for r in (by_header, by_parameter):
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert "attachment" in r.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(by_header.get_data(as_text=True))))
    assert by_header.get_data() == by_parameter.get_data()
    mine = next(row for row in table if row["manager_id"] == str(alice.id))
    assert (mine["planned_calls"], mine["on_time_share"], mine["rank"]) == ("4", "0.25", "2")


def test_the_aggregates_equal_a_rebuild_from_the_history(history, sessions):
    kept = read_model(sessions)
    assert kept["analytics_manager_days"] and kept["analytics_losses"]
    assert rebuilt(sessions) == kept
