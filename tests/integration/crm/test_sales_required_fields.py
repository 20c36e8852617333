"""Every required-field rule of the sales documents: completing too early is a 422 naming each
missing field; start and end are the system's except a meeting's."""

from __future__ import annotations

from typing import Any

from tests.integration.crm.sales_world import PDF, world_fixture  # noqa: F401
from tests.integration.crm.support import field_errors


def test_a_registration_without_a_contact_is_refused_with_the_field_it_needs(world):
    bodies: tuple[dict[str, Any], ...] = ({}, {"contacts": []})
    for body in bodies:
        r = world.secretary.post("/api/processes", json=body)
        assert field_errors(r) == {"contacts": ["at least one contact is required"]}
    assert world.secretary.get("/api/processes").json == []


def test_a_registration_needs_a_topic_the_whole_contacts_table_and_who_took_the_call(world):
    process = world.register(contacts=[{"presentation": "Hank"}], transferred_to_id=None)
    registration = process["current_document"]["id"]
    shown = world.secretary.get(f"/api/documents/{registration}").json
    assert set(shown["missing"]) == {"contacts", "transferred_to_id"}  # a draft until filled
    world.secretary.patch(f"/api/documents/{registration}", json={"topic": " "})
    errors = field_errors(world.complete(registration, world.secretary))
    assert set(errors) == {"topic", "contacts", "transferred_to_id"}

    world.secretary.patch(
        f"/api/documents/{registration}",
        json={
            "topic": "call from a potential client",
            "transferred_to_id": world.manager.id,
            "contacts": [{"presentation": "Hank"}, {"phone": "+1 555 0102"}],
        },
    )
    errors = field_errors(world.complete(registration, world.secretary))
    assert list(errors) == ["contacts"]
    assert errors["contacts"] == [
        "row 1: a phone or an e-mail is required; "
        "row 2: a contact person or a presentation is required"
    ]
    assert world.view(process["id"])["current_step"] == "registration"


def test_a_first_contact_needs_the_client(world):
    process = world.register()
    world.completed(process["current_document"]["id"], world.secretary)
    first = world.current(process["id"])
    assert field_errors(world.complete(first)) == {
        "subject_id": ["a counterparty or a lead is required"]
    }
    lead = world.manager.post("/api/leads", json={"name": "Hank's shop"}).json
    world.manager.patch(
        f"/api/documents/{first}", json={"subject_kind": "lead", "subject_id": lead["id"]}
    )
    assert world.completed(first)["state"] == "completed"
    assert world.view(process["id"])["subject_kind"] == "lead"


def test_a_proposal_needs_contacts_client_content_and_an_attached_file(world):
    pid = world.at_first_contact(completed=True)
    proposal = world.took(pid, "proposal", contacts=[], subject_kind=None, subject_id=None)["id"]
    doc = world.manager.get(f"/api/documents/{proposal}").json
    assert (doc["kind"], doc["direction"], doc["topic"]) == (
        "email",
        "outgoing",
        "commercial proposal",
    )
    assert set(field_errors(world.complete(proposal))) == {
        "contacts",
        "subject_id",
        "content",
        "attachments",
    }
    world.manager.patch(
        f"/api/documents/{proposal}",
        json={
            "contacts": doc["contacts"] or [{"presentation": "Hank", "email": "h@x.example"}],
            "subject_kind": "counterparty",
            "subject_id": world.counterparty["id"],
            "content": "Offer",
            "attachments": [PDF],
        },
    )
    assert world.completed(proposal)["outcome"] == "done"


def test_a_meeting_needs_content(world):
    pid, _ = world.at_proposal(completed=True)
    meeting = world.took(pid, "meeting", direction="incoming")["id"]
    assert field_errors(world.complete(meeting)) == {"content": ["required"]}


def test_an_order_needs_every_field_to_be_posted_and_the_source_only_from_new_clients(world):
    pid = world.at_first_contact(completed=True)
    order = world.took(pid, "order")["id"]
    assert (
        world.manager.get(f"/api/orders/{order}").json["counterparty_id"]
        == world.counterparty["id"]
    )
    world.manager.patch(f"/api/orders/{order}", json={"counterparty_id": None})
    assert set(field_errors(world.manager.post(f"/api/orders/{order}/post"))) == {
        "counterparty_id",
        "contract_id",
        "shipping_date",
        "lines",
        "responsible_id",
        "source",
        "requires_approval",
    }
    assert world.manager.get(f"/api/orders/{order}").json["status"] == "draft"

    _, first = world.at_order()
    assert world.manager.post(f"/api/orders/{first}/post").status_code == 200
    _, repeat = world.at_order(source=None)
    assert world.manager.post(f"/api/orders/{repeat}/post").status_code == 200


def test_order_lines_and_responsible_are_checked_as_they_are_set(world):
    _, order = world.at_order()
    url = f"/api/orders/{order}"
    line = {"item_id": world.item["id"], "quantity": 1, "price": 1}
    assert "lines" in field_errors(
        world.manager.patch(url, json={"lines": [{**line, "item_id": 999}]})
    )
    assert "lines" in field_errors(
        world.manager.patch(url, json={"lines": [{**line, "quantity": 0}]})
    )
    assert "responsible_id" in field_errors(
        world.manager.patch(url, json={"responsible_id": world.manager.id})
    )
    other = world.admin.post(
        "/api/contracts", json={"number": "X", "counterparty_id": _other_client(world)}
    ).json
    assert "contract_id" in field_errors(
        world.manager.patch(url, json={"contract_id": other["id"]})
    )


def _other_client(world) -> int:
    partner = world.admin.post("/api/partners", json={"name": "Initech"}).json
    return world.admin.post(
        "/api/counterparties",
        json={"name": "Initech", "partner_id": partner["id"], "kind": "legal_entity"},
    ).json["id"]


def test_order_lines_take_department_and_responsible_from_their_items(world):
    _, order = world.at_order(
        lines=[{"item_id": world.item["id"], "quantity": "1.5", "price": "99.99"}]
    )
    body = world.manager.get(f"/api/orders/{order}").json
    [line] = body["lines"]
    assert (line["department"], line["responsible_id"]) == ("Execution", world.executor.id)
    assert (line["amount"], body["total"]) == ("149.99", "149.99")


def test_approvals_and_assignments_name_who_acts(world):
    pid, _ = world.at_proposal()
    assert "approver_id" in field_errors(world.step(pid, "proposal_approval"))
    assert "approver_id" in field_errors(
        world.step(pid, "proposal_approval", approver_id=world.manager.id)
    )
    first_contact = world.at_first_contact()
    assert "assignee_id" in field_errors(world.step(first_contact, "assignment"))
    assert "assignee_id" in field_errors(
        world.step(first_contact, "assignment", assignee_id=world.manager.id)
    )

    _, order = world.at_order(requires_approval=True)
    world.manager.post(f"/api/orders/{order}/post")
    [event] = world.manager.get("/api/documents", query_string={"step": "order_approval"}).json
    assert field_errors(world.complete(event["id"], world.approver, outcome="approved")) == {
        "approver_id": ["required"]
    }


def test_a_refusal_needs_its_reason(world):
    pid = world.at_first_contact()
    assert field_errors(world.step(pid, "refusal")) == {"refusal_reason_id": ["required"]}
    assert "refusal_reason_id" in field_errors(world.step(pid, "refusal", refusal_reason_id=999))
    assert world.view(pid)["state"] == "active"


def test_start_and_end_are_recorded_when_an_interaction_starts_and_completes(world):
    pid = world.at_first_contact()
    first = world.current(pid)
    assert "started_at" in field_errors(
        world.manager.patch(
            f"/api/documents/{first}", json={"started_at": "2030-01-01T10:00:00+00:00"}
        )
    )
    started = world.manager.post(f"/api/documents/{first}/start").json
    assert started["state"] == "in_progress" and started["started_at"] is not None
    assert world.manager.post(f"/api/documents/{first}/start").status_code == 409
    done = world.completed(first)
    assert done["started_at"] == started["started_at"]
    assert done["ended_at"] >= done["started_at"]
    assert (
        world.manager.patch(f"/api/documents/{first}", json={"content": "late"}).status_code == 409
    )


def test_a_meeting_keeps_its_start_and_end_editable_until_completed(world):
    pid, _ = world.at_proposal(completed=True)
    meeting = world.took(
        pid,
        "meeting",
        content="Visit",
        started_at="2030-01-01T10:00:00+00:00",
        ended_at="2030-01-01T11:00:00+00:00",
    )["id"]
    url = f"/api/documents/{meeting}"
    assert "ended_at" in field_errors(
        world.manager.patch(url, json={"ended_at": "2030-01-01T09:00:00+00:00"})
    )
    assert (
        world.manager.patch(url, json={"ended_at": "2030-01-01T12:30:00+00:00"}).status_code == 200
    )
    done = world.completed(meeting)
    assert (done["started_at"], done["ended_at"]) == (
        "2030-01-01T10:00:00+00:00",
        "2030-01-01T12:30:00+00:00",
    )
    assert (
        world.manager.patch(url, json={"ended_at": "2030-01-01T13:00:00+00:00"}).status_code == 409
    )
