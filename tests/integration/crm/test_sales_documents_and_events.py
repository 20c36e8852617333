"""Document 002 to the letter: step documents in their performer's "My tasks", items that
bring grey or white and planned cost and time, order drafts; and the events the process,
orders, tasks and partners publish for other systems."""

from __future__ import annotations

from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import created, field_errors, outbox_of


def my_tasks(client, **query):
    r = client.get("/api/tasks", query_string={"state": "open", **query})
    assert r.status_code == 200, r.json
    return r.json


def test_the_first_contact_is_in_the_named_managers_tasks_and_completing_it_completes_it(world):
    process = world.register()
    world.completed(process["current_document"]["id"], world.secretary)
    first = world.current(process["id"])
    [task] = my_tasks(world.manager, kind="document")
    assert task["title"].startswith("First contact with the client")
    assert task["details"]["document_id"] == first

    # Completed through the task, the document's required fields are still checked.
    r = world.manager.post(
        f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "result": "ok"}
    )
    assert field_errors(r) == {"subject_id": ["a counterparty or a lead is required"]}
    world.manager.patch(
        f"/api/documents/{first}",
        json={"subject_kind": "counterparty", "subject_id": world.counterparty["id"]},
    )
    r = world.manager.post(
        f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "result": "ok"}
    )
    assert r.status_code == 200, r.json
    assert world.manager.get(f"/api/documents/{first}").json["state"] == "completed"
    assert world.view(process["id"])["allowed_next"] == [
        "assignment",
        "proposal",
        "meeting",
        "order",
        "refusal",
    ]


def test_a_new_responsible_takes_the_documents_task_over(world, as_role):
    colleague = as_role("manager", department="Sales")
    process = world.register()
    world.completed(process["current_document"]["id"], world.secretary)
    first = world.current(process["id"])
    world.manager.patch(f"/api/documents/{first}", json={"responsible_id": colleague.id})
    assert my_tasks(world.manager, kind="document") == []
    [task] = my_tasks(colleague, kind="document")
    assert task["details"]["document_id"] == first


def test_proposal_meeting_and_the_orders_approval_show_in_their_performers_tasks(world):
    pid, proposal = world.at_proposal()
    assert [t["details"]["step"] for t in my_tasks(world.manager, kind="document")] == ["proposal"]
    world.completed(proposal)
    meeting = world.took(pid, "meeting", content="Talk")["id"]
    assert [t["details"]["document_id"] for t in my_tasks(world.manager, kind="document")] == [
        meeting
    ]
    world.completed(meeting)
    order = world.took(pid, "order", **world.order_fields(requires_approval=True))["id"]
    assert world.manager.post(f"/api/orders/{order}/post").status_code == 200
    event = world.manager.get(
        "/api/documents", query_string={"process_id": pid, "step": "order_approval"}
    ).json[0]["id"]
    world.manager.patch(f"/api/documents/{event}", json={"approver_id": world.approver.id})
    [approval] = my_tasks(world.approver, kind="approval")
    r = world.approver.post(
        f"/api/tasks/{approval['id']}/complete", json={"outcome": "approved", "result": "Fine"}
    )
    assert r.status_code == 200, r.json
    assert world.manager.get(f"/api/orders/{order}").json["status"] == "approved"
    assert world.view(pid)["state"] == "completed"


def test_order_lines_and_the_assignment_take_grey_or_white_and_planned_cost_and_time(world):
    grey = created(
        world.admin,
        "/api/items",
        name="Consultation of a potential client",
        department="Execution",
        accounting="grey",
        planned_cost="40.00",
        planned_hours="1.50",
    )
    pid = world.at_first_contact(completed=True)
    task_ref = world.took(pid, "assignment", assignee_id=world.executor.id, item_id=grey["id"])
    task = world.executor.get(f"/api/tasks/{task_ref['id']}").json
    assert task["details"]["item"] == {
        "item_id": grey["id"],
        "name": "Consultation of a potential client",
        "accounting": "grey",
        "planned_cost": "40.00",
        "planned_hours": "1.50",
    }
    lines = [{"item_id": grey["id"], "quantity": 3, "price": "100.00"}]
    order = world.took(pid, "order", **world.order_fields(lines=lines))["id"]
    shown = world.manager.get(f"/api/orders/{order}").json
    assert shown["accounting"] == "grey"
    assert (shown["lines"][0]["planned_cost"], shown["lines"][0]["planned_hours"]) == (
        "120.00",
        "4.50",
    )
    mixed = [*lines, {"item_id": world.item["id"], "quantity": 1, "price": "1.00"}]  # white
    r = world.manager.patch(f"/api/orders/{order}", json={"lines": mixed})
    assert field_errors(r) == {"lines": ["grey and white items go on separate orders"]}
    assert "accounting" in field_errors(
        world.admin.post("/api/items", json={"name": "Audit", "accounting": "black"})
    )


def test_an_order_step_without_fields_is_a_draft_that_lists_what_posting_needs(world):
    pid = world.at_first_contact(completed=True)
    order = world.took(pid, "order")["id"]
    draft = world.manager.get(f"/api/orders/{order}").json
    assert draft["status"] == "draft"
    assert set(draft["missing"]) == {
        "contract_id",
        "shipping_date",
        "lines",
        "responsible_id",
        "source",
        "requires_approval",
    }
    world.manager.patch(f"/api/orders/{order}", json=world.order_fields())
    assert world.manager.get(f"/api/orders/{order}").json["missing"] == {}


def types(sessions, *names):
    return {name: [e.data for e in outbox_of(sessions, name)] for name in names}


def test_the_process_and_its_order_publish_each_state_change(world, sessions):
    pid, order = world.at_order()
    world.manager.post(f"/api/orders/{order}/post")
    events = types(
        sessions,
        "ProcessStarted",
        "ProcessStepCompleted",
        "ProcessEnded",
        "OrderPosted",
        "OrderRouted",
    )
    assert [e["process_id"] for e in events["ProcessStarted"]] == [pid]
    assert [e["step"] for e in events["ProcessStepCompleted"]] == [
        "registration",
        "first_contact",
        "order",
    ]
    [ended] = events["ProcessEnded"]
    assert (ended["state"], ended["step"]) == ("completed", "execution")
    [posted] = events["OrderPosted"]
    assert (posted["order_id"], posted["total"], posted["requires_approval"]) == (
        order,
        "300.00",
        False,
    )
    assert events["OrderRouted"][0]["executor_id"] == world.executor.id


def test_a_refusal_and_a_rejected_order_are_published(world, sessions):
    pid, order = world.at_order(requires_approval=True)
    world.manager.post(f"/api/orders/{order}/post")
    event = world.manager.get(
        "/api/documents", query_string={"process_id": pid, "step": "order_approval"}
    ).json[0]["id"]
    world.manager.patch(f"/api/documents/{event}", json={"approver_id": world.approver.id})
    world.completed(event, world.approver, outcome="rejected")
    [rejected] = types(sessions, "OrderRejected")["OrderRejected"]
    assert rejected["order_id"] == order
    refused_pid = world.at_first_contact(completed=True)
    world.step(refused_pid, "refusal", refusal_reason_id=world.reason["id"])
    [ended] = types(sessions, "ProcessEnded")["ProcessEnded"]
    assert (ended["process_id"], ended["state"]) == (refused_pid, "refused")
    assert ended["refusal_reason_id"] == world.reason["id"]


def test_tasks_and_partners_publish_their_changes(world, sessions):
    task = created(
        world.manager,
        "/api/tasks",
        kind="other",
        title="Prepare the catalogue",
        assignee_id=world.manager.id,
        due_at="2030-01-01T10:00:00+00:00",
    )
    world.manager.post(
        f"/api/tasks/{task['id']}/complete", json={"outcome": "done", "result": "ok"}
    )
    events = types(sessions, "TaskCreated", "TaskCompleted", "PartnerChanged")
    assert [e["title"] for e in events["TaskCreated"]] == ["Prepare the catalogue"]
    [completed] = events["TaskCompleted"]
    assert (completed["outcome"], completed["completed_by_id"]) == ("done", world.manager.id)
    partner = world.counterparty["partner_id"]
    world.admin.patch(f"/api/partners/{partner}", json={"note": "VIP"})
    created(world.admin, f"/api/partners/{partner}/contacts", name="Olena")
    changes = [e["change"] for e in types(sessions, "PartnerChanged")["PartnerChanged"]]
    assert changes == ["created", "updated", "contacts"]
    assert "kind" in field_errors(
        world.manager.post(
            "/api/tasks",
            json={
                "kind": "document",
                "assignee_id": world.manager.id,
                "due_at": "2030-01-01T10:00:00Z",
            },
        )
    )
