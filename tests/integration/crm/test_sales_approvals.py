"""Approvals: of a commercial proposal (event, task and reminder for the approving head) and of
an order (event with the order's client; the approver named on it is reminded)."""

from __future__ import annotations

from tests.integration.crm.sales_world import CONTACT, world_fixture  # noqa: F401
from tests.integration.crm.support import outbox_of


def reminders(sessions) -> list[dict]:
    return [e.data for e in outbox_of(sessions, "ReminderScheduled")]


def test_a_proposal_approval_gives_the_approver_an_event_a_task_and_a_reminder(world, sessions):
    pid, proposal = world.at_proposal(needs_approval=True)
    event_id = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]

    event = world.approver.get(f"/api/documents/{event_id}").json
    assert (event["kind"], event["topic"]) == ("event", "Approval of the commercial proposal")
    assert (event["basis_kind"], event["basis_id"], event["approver_id"]) == (
        "interaction",
        proposal,
        world.approver.id,
    )
    [task] = world.approver.get("/api/tasks", query_string={"kind": "approval"}).json
    assert task["id"] == event["task_id"] and task["title"] == "Approval of the commercial proposal"
    assert task["outcomes"] == ["approved", "rejected"]
    [reminder] = [r for r in reminders(sessions) if r["recipient_id"] == world.approver.id]
    assert (reminder["basis_kind"], reminder["basis_id"]) == ("interaction", event_id)
    view = world.view(pid)
    assert view["current_step"] == "proposal"  # an approval is taken beside the proposal
    assert view["steps"][-1]["step"] == "proposal_approval"


def test_a_proposal_waits_for_its_approval_and_is_sent_once_approved(world):
    pid, proposal = world.at_proposal(needs_approval=True)
    assert world.complete(proposal).status_code == 409  # needs approval, none requested
    event = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    assert world.complete(proposal).status_code == 409  # waiting
    assert world.step(pid, "proposal_approval", approver_id=world.approver.id).status_code == 409
    assert world.complete(event, world.manager, outcome="approved").status_code == 403
    assert world.complete(event, world.approver).status_code == 422  # which outcome?

    world.completed(event, world.approver, outcome="approved")
    task = world.approver.get(
        f"/api/tasks/{world.manager.get(f'/api/documents/{event}').json['task_id']}"
    ).json
    assert (task["state"], task["outcome"]) == ("done", "approved")
    assert world.manager.get(f"/api/documents/{proposal}").json["approval"] == "approved"
    assert world.completed(proposal)["state"] == "completed"


def test_a_rejected_proposal_is_not_sent_until_a_new_approval_passes(world):
    pid, proposal = world.at_proposal(needs_approval=True)
    first = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    world.completed(first, world.approver, outcome="rejected")
    assert world.complete(proposal).status_code == 409
    second = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    world.completed(second, world.approver, outcome="approved")
    assert world.completed(proposal)["state"] == "completed"


def test_cancelling_a_proposal_approval_frees_the_proposal(world):
    pid, proposal = world.at_proposal()
    event = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    assert world.manager.post(f"/api/documents/{event}/cancel").json["state"] == "cancelled"
    assert world.completed(proposal)["state"] == "completed"
    assert world.manager.post(f"/api/documents/{proposal}/cancel").status_code == 409


def test_an_order_requiring_approval_opens_an_approve_the_order_event(world, sessions):
    pid, order = world.at_order(requires_approval=True)
    posted = world.manager.post(f"/api/orders/{order}/post").json
    assert (posted["status"], posted["routed_at"]) == ("open", None)

    [event] = world.manager.get(
        "/api/documents", query_string={"process_id": pid, "step": "order_approval"}
    ).json
    assert event["topic"] == "Approve the order" and event["kind"] == "event"
    assert (event["subject_kind"], event["subject_id"]) == (
        "counterparty",
        world.counterparty["id"],
    )
    assert event["contacts"] == [CONTACT]
    assert (event["basis_kind"], event["basis_id"], event["responsible_id"]) == (
        "order",
        order,
        world.manager.id,
    )
    assert world.view(pid)["state"] == "active"
    assert world.executor.get("/api/orders/new").json == []

    count = len(reminders(sessions))
    world.manager.patch(f"/api/documents/{event['id']}", json={"approver_id": world.approver.id})
    world.manager.patch(
        f"/api/documents/{event['id']}", json={"content": "urgent"}
    )  # same approver
    [reminder] = reminders(sessions)[count:]
    assert reminder["recipient_id"] == world.approver.id
    assert (reminder["basis_kind"], reminder["basis_id"]) == ("interaction", event["id"])


def test_approving_the_order_makes_it_approved_and_sends_it_to_the_executor(world):
    pid, order = world.at_order(requires_approval=True)
    world.manager.post(f"/api/orders/{order}/post")
    [event] = [
        e["id"]
        for e in world.manager.get("/api/documents", query_string={"step": "order_approval"}).json
    ]
    world.manager.patch(f"/api/documents/{event}", json={"approver_id": world.approver.id})
    assert world.complete(event, world.manager, outcome="approved").status_code == 403

    world.completed(event, world.approver, outcome="approved")
    body = world.manager.get(f"/api/orders/{order}").json
    assert body["status"] == "approved" and body["approved_at"] is not None
    assert [o["id"] for o in world.executor.get("/api/orders/new").json] == [order]
    assert world.view(pid)["state"] == "completed"


def test_a_rejected_order_can_be_corrected_and_posted_again(world):
    _, order = world.at_order(requires_approval=True)
    world.manager.post(f"/api/orders/{order}/post")
    assert world.manager.patch(f"/api/orders/{order}", json={"source": "x"}).status_code == 409
    [event] = world.manager.get("/api/documents", query_string={"step": "order_approval"}).json
    world.manager.patch(f"/api/documents/{event['id']}", json={"approver_id": world.approver.id})
    world.completed(event["id"], world.approver, outcome="rejected")
    assert world.manager.get(f"/api/orders/{order}").json["status"] == "rejected"

    assert (
        world.manager.patch(f"/api/orders/{order}", json={"comment": "cheaper"}).status_code == 200
    )
    assert world.manager.post(f"/api/orders/{order}/post").json["status"] == "open"
    events = world.manager.get("/api/documents", query_string={"step": "order_approval"}).json
    assert [e["state"] for e in events] == ["planned", "completed"]


def test_approving_through_the_approval_task_completes_the_approval_event(world):
    pid, proposal = world.at_proposal(needs_approval=True)
    event = world.took(pid, "proposal_approval", approver_id=world.approver.id)["id"]
    task = world.manager.get(f"/api/documents/{event}").json["task_id"]
    r = world.approver.post(
        f"/api/tasks/{task}/complete", json={"outcome": "approved", "result": "Fine"}
    )
    assert r.status_code == 200, r.json
    assert world.manager.get(f"/api/documents/{event}").json["outcome"] == "approved"
    assert world.completed(proposal)["state"] == "completed"
