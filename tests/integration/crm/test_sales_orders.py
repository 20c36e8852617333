"""An order posted open reaches the execution department: the executor's and the head's new
orders, a reminder to the executor, and the process instance closes."""

from __future__ import annotations

from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import outbox_of


def new_orders(client) -> list[int]:
    r = client.get("/api/orders/new")
    assert r.status_code == 200, r.json
    return [o["id"] for o in r.json]


def test_an_order_posted_with_an_executor_reaches_them_and_closes_the_process(
    world, sessions, as_role
):
    pid, order = world.at_order()
    posted = world.manager.post(f"/api/orders/{order}/post").json
    assert (posted["status"], posted["executor_id"]) == ("open", world.executor.id)
    assert posted["routed_at"] is not None

    assert new_orders(world.executor) == [order]
    assert new_orders(world.head_of_execution) == [order]
    assert new_orders(as_role("executor", department="Execution")) == []
    assert new_orders(as_role("head_of_execution", department="Warehouse")) == []
    assert world.manager.get("/api/orders/new").status_code == 403
    [reminder] = [
        e.data for e in outbox_of(sessions, "ReminderScheduled") if e.data["basis_kind"] == "order"
    ]
    assert (reminder["recipient_id"], reminder["basis_id"]) == (world.executor.id, order)
    assert "2030-03-01" in reminder["text"]
    view = world.view(pid)
    assert (view["state"], view["current_step"]) == ("completed", "execution")
    assert world.manager.post(f"/api/orders/{order}/post").status_code == 409


def test_taking_an_order_into_work_removes_it_from_the_new_orders(world):
    _, order = world.at_order()
    world.manager.post(f"/api/orders/{order}/post")
    assert world.head_of_execution.post(f"/api/orders/{order}/take").status_code == 404
    assert world.executor.post(f"/api/orders/{order}/take").json["taken_at"] is not None
    assert new_orders(world.executor) == [] and new_orders(world.head_of_execution) == []
    assert world.executor.post(f"/api/orders/{order}/take").status_code == 409


def test_an_order_for_the_head_of_execution_reminds_her_and_closes_the_process(world, sessions):
    pid, order = world.at_order(responsible_id=world.head_of_execution.id)
    posted = world.manager.post(f"/api/orders/{order}/post").json
    assert posted["executor_id"] is None and posted["routed_at"] is not None
    assert new_orders(world.head_of_execution) == [order]
    assert new_orders(world.executor) == []
    # Document 002: the order shows in her new orders, she gets a reminder, the process ends.
    process = world.view(pid)
    assert process["state"] == "completed" and process["current_step"] == "execution"
    assert process["steps"][-1]["responsible_id"] == world.head_of_execution.id
    [routed] = outbox_of(sessions, "OrderRouted")
    assert routed.data["responsible_id"] == world.head_of_execution.id
    assert routed.data["executor_id"] is None

    url = f"/api/orders/{order}/executor"
    assert world.manager.post(url, json={"executor_id": world.executor.id}).status_code == 403
    assert (
        world.head_of_execution.post(url, json={"executor_id": world.manager.id}).status_code == 422
    )
    passed = world.head_of_execution.post(url, json={"executor_id": world.executor.id})
    assert passed.json["executor_id"] == world.executor.id
    assert new_orders(world.executor) == [order]
    assert world.view(pid)["state"] == "completed"
    assert [
        e.data["recipient_id"]
        for e in outbox_of(sessions, "ReminderScheduled")
        if e.data["basis_kind"] == "order"
    ] == [world.head_of_execution.id, world.executor.id]
    assert [e.data["executor_id"] for e in outbox_of(sessions, "OrderRouted")] == [
        None,
        world.executor.id,
    ]
    assert (
        world.head_of_execution.post(url, json={"executor_id": world.executor.id}).status_code
        == 409
    )


def test_orders_are_listed_by_process_and_status(world):
    pid, order = world.at_order()
    world.at_order()
    assert [
        o["id"] for o in world.manager.get("/api/orders", query_string={"process_id": pid}).json
    ] == [order]
    assert len(world.manager.get("/api/orders", query_string={"status": "draft"}).json) == 2


def test_reference_data_of_orders_is_checked(world):
    assert world.manager.post("/api/items", json={"name": "Audit"}).status_code == 403
    assert world.admin.post("/api/items", json={"name": "Installation"}).status_code == 409
    assert (
        world.manager.post(
            "/api/contracts", json={"number": "C-1", "counterparty_id": world.counterparty["id"]}
        ).status_code
        == 409
    )
    r = world.manager.post("/api/contracts", json={"number": "C-2", "counterparty_id": 999})
    assert r.status_code == 422 and "counterparty_id" in r.json["errors"]["json"]
    listed = world.manager.get(
        "/api/contracts", query_string={"counterparty_id": world.counterparty["id"]}
    )
    assert [c["number"] for c in listed.json] == ["C-1"]
    assert [i["name"] for i in world.manager.get("/api/items").json] == ["Installation"]


def test_an_assignment_gives_an_executor_a_consultation_task(world):
    pid = world.at_first_contact()
    task_id = world.took(
        pid, "assignment", assignee_id=world.executor.id, content="Explain the options"
    )["id"]
    task = world.executor.get(f"/api/tasks/{task_id}").json
    assert (task["kind"], task["title"]) == ("assignment", "Consultation of a potential client")
    assert (task["subject_kind"], task["subject_id"]) == ("counterparty", world.counterparty["id"])
    assert task["description"] == "Explain the options"
    view = world.view(pid)
    assert view["current_step"] == "first_contact"
    assert view["steps"][-1]["document_state"] == "open"
    world.executor.post(
        f"/api/tasks/{task_id}/complete", json={"outcome": "done", "result": "Explained"}
    )
    step = world.view(pid)["steps"][-1]
    assert (step["document_state"], step["outcome"]) == ("done", "done")
