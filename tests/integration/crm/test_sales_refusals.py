"""The refusal path from each step that allows it: the reason is recorded and the process ends."""

from __future__ import annotations

import pytest

from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import outbox_of


def closed_documents(sessions) -> set[tuple[str, int, str]]:
    return {
        (e.data["document_kind"], e.data["document_id"], e.data["state"])
        for e in outbox_of(sessions, "DocumentClosed")
    }


@pytest.mark.parametrize(
    "reach",
    [
        lambda w: w.at_first_contact(),
        lambda w: w.at_first_contact(completed=True),
        lambda w: w.at_proposal()[0],
        lambda w: w.at_proposal(completed=True)[0],
        lambda w: w.at_meeting()[0],
        lambda w: w.at_meeting(completed=True)[0],
    ],
    ids=[
        "first_contact",
        "first_contact_done",
        "proposal",
        "proposal_done",
        "meeting",
        "meeting_done",
    ],
)
def test_a_refusal_ends_the_process_with_its_reason(world, sessions, reach):
    pid = reach(world)
    before = world.view(pid)
    current = before["current_document"]["id"]
    was_open = world.manager.get(f"/api/documents/{current}").json["state"] != "completed"

    r = world.step(pid, "refusal", refusal_reason_id=world.reason["id"], content="Too dear")
    assert r.status_code == 201, r.json
    view = r.json["process"]
    assert (view["state"], view["current_step"]) == ("refused", "refusal")
    assert view["refusal_reason_id"] == world.reason["id"]
    assert view["allowed_next"] == [] and view["ended_at"] is not None
    last = view["steps"][-1]
    assert (last["step"], last["actor_id"], last["refusal_reason_id"]) == (
        "refusal",
        world.manager.id,
        world.reason["id"],
    )
    doc = world.manager.get(f"/api/documents/{current}").json
    if was_open:
        # The document the client refused on is closed with the refusal; its reminders stop.
        assert (doc["state"], doc["outcome"]) == ("completed", "refusal")
        assert doc["refusal_reason_id"] == world.reason["id"]
        assert doc["content"].endswith("Too dear")
        assert ("interaction", current, "done") in closed_documents(sessions)
    else:
        assert doc["outcome"] == "done"


def test_a_refusal_calls_off_a_pending_approval_with_its_task(world, sessions):
    pid, _ = world.at_proposal()
    event = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    task = world.manager.get(f"/api/documents/{event}").json["task_id"]

    world.took(pid, "refusal", refusal_reason_id=world.reason["id"])
    assert world.manager.get(f"/api/documents/{event}").json["state"] == "cancelled"
    assert world.approver.get(f"/api/tasks/{task}").json["state"] == "cancelled"
    assert {("interaction", event, "cancelled"), ("task", task, "cancelled")} <= closed_documents(
        sessions
    )
    assert world.complete(event, world.approver, outcome="approved").status_code == 409


def test_a_refused_process_takes_no_more_work(world):
    pid = world.at_first_contact(completed=True)
    world.took(pid, "refusal", refusal_reason_id=world.reason["id"])
    first = world.view(pid)["steps"][1]["document_id"]
    assert world.manager.patch(f"/api/documents/{first}", json={"content": "x"}).status_code == 409
    assert world.step(pid, "refusal", refusal_reason_id=world.reason["id"]).status_code == 409


def test_a_refusal_in_the_process_moves_the_customer_to_the_refusal_status(world):
    pid = world.at_first_contact()
    customer = f"/api/counterparties/{world.counterparty['id']}"
    world.took(pid, "refusal", refusal_reason_id=world.reason["id"], content="Too dear")
    assert world.manager.get(customer).json["status_id"] == 3  # Cold, the refusal status
    [assigned] = world.manager.get(f"{customer}/status-history").json[-1:]
    assert "Too expensive" in assigned["reason"] and "Too dear" in assigned["reason"]
