"""The inbound sales process through the API: automatic documents, views, flowchart, statistics."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from tests.integration.crm.sales_world import CONTACT, world_fixture  # noqa: F401
from tests.integration.crm.support import outbox_of


def reminders_to(sessions, recipient_id: int) -> list[dict]:
    return [
        e.data
        for e in outbox_of(sessions, "ReminderScheduled")
        if e.data["recipient_id"] == recipient_id
    ]


def test_completing_a_registration_creates_the_first_contact_and_reminds_its_employee(
    world, sessions, settings
):
    process = world.register(content="Wants a quote for installation")
    registration = process["current_document"]["id"]
    assert world.secretary.get(f"/api/documents/{registration}").json["topic"] == (
        "call from a potential client"
    )
    world.completed(registration, world.secretary)

    view = world.view(process["id"])
    assert view["current_step"] == "first_contact"
    first = world.manager.get(f"/api/documents/{view['current_document']['id']}").json
    assert first["topic"] == "first contact with the client"
    assert (first["kind"], first["direction"]) == ("call", "incoming")
    assert first["responsible_id"] == world.manager.id
    assert first["contacts"] == [CONTACT]
    assert first["content"] == "Wants a quote for installation"
    assert (first["basis_kind"], first["basis_id"]) == ("interaction", registration)
    [reminder] = reminders_to(sessions, world.manager.id)
    assert (reminder["basis_kind"], reminder["basis_id"]) == ("interaction", first["id"])
    delay = datetime.fromisoformat(reminder["remind_at"]) - datetime.fromisoformat(
        first["created_at"]
    )
    assert abs(delay.total_seconds() - settings.reminder_delay_seconds) < 60


def test_a_client_without_a_phone_gets_the_first_contact_by_email(world):
    process = world.register(
        kind="email", contacts=[{"presentation": "Ann", "email": "a@x.example"}]
    )
    assert (
        world.secretary.get(f"/api/documents/{process['current_document']['id']}").json["topic"]
        == "e-mail from a potential client"
    )
    world.completed(process["current_document"]["id"], world.secretary)
    first = world.manager.get(f"/api/documents/{world.current(process['id'])}").json
    assert (first["kind"], first["direction"]) == ("email", "incoming")


def test_a_whole_path_is_listed_with_its_steps_and_closes_at_the_executor(world):
    pid, _ = world.at_proposal(completed=True)
    meeting = world.took(pid, "meeting", content="Agreed on the scope")["id"]
    world.completed(meeting)
    order = world.took(pid, "order", **world.order_fields())["id"]
    posted = world.manager.post(f"/api/orders/{order}/post")
    assert posted.status_code == 200, posted.json

    view = world.view(pid)
    assert (view["state"], view["current_step"], view["allowed_next"]) == (
        "completed",
        "execution",
        [],
    )
    assert view["ended_at"] is not None
    steps = [(s["step"], s["outcome"], s["actor_id"]) for s in view["steps"]]
    assert steps == [
        ("registration", "done", world.secretary.id),
        ("first_contact", "done", None),  # made by the system
        ("proposal", "done", world.manager.id),
        ("meeting", "done", world.manager.id),
        ("order", "posted", world.manager.id),
        ("execution", "completed", None),
    ]
    assert view["steps"][-1]["responsible_id"] == world.executor.id
    assert all(s["completed_at"] for s in view["steps"])
    listed = world.manager.get("/api/processes", query_string={"state": "completed"}).json
    assert [p["id"] for p in listed] == [pid]
    assert world.manager.get("/api/processes", query_string={"state": "active"}).json == []


def test_the_definition_is_served_as_data_and_as_an_svg_flowchart(world):
    assert [p["kind"] for p in world.secretary.get("/api/process-kinds").json] == ["inbound_sales"]
    definition = world.manager.get("/api/process-kinds/inbound_sales").json
    first = next(s for s in definition["steps"] if s["name"] == "first_contact")
    assert set(first["next"]) == {"assignment", "proposal", "meeting", "order", "refusal"}
    assert first["manual"] is False

    r = world.manager.get("/api/process-kinds/inbound_sales/flowchart.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(r.data)
    boxes = {g.get("id") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert boxes == {f"step-{s['name']}" for s in definition["steps"]}
    assert world.manager.get("/api/process-kinds/outbound/flowchart.svg").status_code == 404


def test_an_instance_flowchart_outlines_its_current_step(world):
    pid = world.at_first_contact()
    r = world.manager.get(f"/api/processes/{pid}/flowchart.svg")
    assert r.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(r.data)
    ns = "{http://www.w3.org/2000/svg}"
    current = next(g for g in svg.iter(f"{ns}g") if g.get("id") == "step-first_contact")
    assert current.find(f"{ns}rect").get("stroke-width") == "3"


def test_statistics_count_the_steps_reached_the_time_between_them_and_refusal_reasons(world):
    world.at_order()
    refused = world.at_first_contact()
    world.took(refused, "refusal", refusal_reason_id=world.reason["id"])
    world.register()  # registered only

    stats = world.manager.get("/api/process-kinds/inbound_sales/statistics").json
    reached = {r["step"]: r["instances"] for r in stats["reached"]}
    assert reached["registration"] == 3
    assert reached["first_contact"] == 2
    assert reached["order"] == 1 and reached["refusal"] == 1 and reached["meeting"] == 0
    assert stats["started"] == 3
    assert stats["by_state"] == {"active": 2, "completed": 0, "refused": 1}
    medians = {(m["from"], m["to"]): m for m in stats["median_between_steps"]}
    assert medians[("registration", "first_contact")]["transitions"] == 2
    assert medians[("first_contact", "order")]["median_seconds"] >= 0
    assert stats["refusal_reasons"] == [
        {
            "refusal_reason_id": world.reason["id"],
            "name": "Too expensive",
            "refused_at_step": "first_contact",
            "count": 1,
        }
    ]
