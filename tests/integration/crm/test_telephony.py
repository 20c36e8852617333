"""The virtual telephone exchange: recorded webhooks of real formats, signed, become the call
log, a customer's interaction with its due call task offered, or a registration."""

from __future__ import annotations

import pytest

from tests.integration.crm.support import created, outbox_of
from tests.integration.crm.test_tasks import call_due
from tests.payloads import recorded, signed


@pytest.fixture()
def exchange(anonymous, settings):
    """Send a recorded call's requests, signed, as the exchange would; the last answer."""

    def send(name: str, *, only: slice = slice(None)):
        call = recorded(name)
        answers = []
        for request in call["requests"][only]:
            r = anonymous.post(
                f"/api/telephony/{call['exchange']}/events",
                **signed(call["exchange"], request, settings.telephony_secret),
            )
            assert r.status_code == 200, r.json
            answers.append(r.json)
        return [a for a in answers if a][-1]

    return send


@pytest.fixture()
def office(as_role, sessions, admin):
    """A manager on extension 101 and a lead whose number is written the local way."""
    manager = as_role("manager", extension="101", timezone="Europe/Kyiv")
    lead = created(
        manager,
        "/api/leads",
        name="Kyiv Bakery",
        responsible_id=manager.id,
        phones=["(044) 123-45-67"],
        status_id=1,
    )
    return manager, lead


def test_a_customers_call_is_logged_and_its_due_call_task_offered_for_the_outcome(
    exchange, office, sessions
):
    manager, lead = office
    call_due(sessions, lead, manager.id)
    [task] = manager.get("/api/tasks", query_string={"kind": "call"}).json

    call = exchange("zadarma_incoming_answered.json")

    assert (call["state"], call["direction"], call["duration_seconds"]) == ("ended", "incoming", 95)
    assert call["external_number"] == "+380441234567" and call["employee_id"] == manager.id
    assert (call["subject_kind"], call["subject_id"]) == ("lead", lead["id"])
    assert call["offered_task_id"] == task["id"]
    [logged] = manager.get(f"/api/leads/{lead['id']}/events").json
    assert (logged["kind"], logged["state"], logged["responsible_id"]) == (
        "call",
        "completed",
        manager.id,
    )
    assert any(
        n["task_id"] == task["id"] and "record its outcome" in n["text"]
        for n in manager.get("/api/inbox").json
    )
    [recorded_event] = outbox_of(sessions, "InteractionRecorded")
    assert recorded_event.data["task_id"] == task["id"]

    # The manager records the outcome: the logged call takes it, nothing is logged twice.
    r = manager.post(
        f"/api/tasks/{task['id']}/complete", json={"outcome": "talked", "result": "Ordering"}
    )
    assert r.status_code == 200, r.json
    [logged] = manager.get(f"/api/leads/{lead['id']}/events").json
    assert (logged["outcome"], logged["content"]) == ("talked", "Ordering")


def test_the_same_events_delivered_again_change_nothing(exchange, office, sessions):
    manager, lead = office
    first = exchange("zadarma_incoming_answered.json")
    again = exchange("zadarma_incoming_answered.json")
    assert again == first
    assert len(manager.get(f"/api/leads/{lead['id']}/events").json) == 1
    assert len(manager.get("/api/telephony/calls").json) == 1


def test_an_unknown_caller_starts_a_registration_for_the_secretary(exchange, as_role, sessions):
    secretary = as_role("secretary")
    call = exchange("twilio_inbound_unknown.json")
    assert call["subject_id"] is None and call["process_id"] is not None
    process = secretary.get(f"/api/processes/{call['process_id']}").json
    assert process["current_step"] == "registration" and process["started_by_id"] is None
    registration = secretary.get(f"/api/documents/{process['current_document']['id']}").json
    assert registration["kind"] == "call" and registration["direction"] == "incoming"
    assert registration["contacts"][0]["phone"] == "+15005550006"
    assert "transferred_to_id" in registration["missing"]
    assert call["recording_url"].startswith("https://api.twilio.com/")
    [started] = outbox_of(sessions, "ProcessStarted")
    assert started.data["process_id"] == call["process_id"]


def test_a_contact_persons_number_finds_the_counterparty_and_the_extension_the_manager(
    exchange, as_role, admin
):
    manager = as_role("manager", extension="101")
    partner = created(admin, "/api/partners", name="Dnipro Steel")
    counterparty = created(
        admin,
        "/api/counterparties",
        name="Dnipro Steel LLC",
        partner_id=partner["id"],
        kind="legal_entity",
        responsible_id=manager.id,
    )
    person = created(
        admin,
        f"/api/partners/{partner['id']}/contacts",
        name="Olena",
        phones=["067 555 12 34"],
    )
    call = exchange("generic_outgoing.json")
    assert (call["subject_kind"], call["subject_id"]) == ("counterparty", counterparty["id"])
    assert call["contact_person_id"] == person["id"] and call["employee_id"] == manager.id
    [logged] = manager.get(f"/api/counterparties/{counterparty['id']}/events").json
    assert logged["direction"] == "outgoing"
    assert logged["attachments"] == [
        {"name": "recording", "url": "https://pbx.example/records/out-20261201-0007.mp3"}
    ]


def test_unsigned_unknown_or_malformed_webhooks_are_refused_and_change_nothing(
    anonymous, settings, admin
):
    request = recorded("generic_outgoing.json")["requests"][0]
    kwargs = signed("generic", request, settings.telephony_secret)
    url = "/api/telephony/generic/events"
    assert anonymous.post(url, **{**kwargs, "headers": {}}).status_code == 401
    forged = {"X-Signature": "sha256=" + "0" * 64}
    assert anonymous.post(url, **{**kwargs, "headers": forged}).status_code == 401
    assert anonymous.post("/api/telephony/asterisk/events", **kwargs).status_code == 404
    bad = signed(
        "generic", {"json": {**request["json"], "event": "hung up"}}, settings.telephony_secret
    )
    r = anonymous.post(url, **bad)
    assert r.status_code == 422 and "event" in r.json["errors"]["json"]
    assert admin.get("/api/telephony/calls").json == []


def test_zadarma_checks_the_address_with_an_echo(anonymous):
    r = anonymous.get("/api/telephony/zadarma/events", query_string={"zd_echo": "abc123"})
    assert (r.status_code, r.get_data(as_text=True)) == (200, "abc123")
    assert anonymous.get("/api/telephony/generic/events").status_code == 404


def test_the_call_log_is_a_managers_own_and_closed_to_other_roles(exchange, office, as_role):
    manager, _ = office
    exchange("zadarma_incoming_answered.json")
    other = as_role("manager")
    assert len(manager.get("/api/telephony/calls").json) == 1
    assert other.get("/api/telephony/calls").json == []
    assert (
        other.get("/api/telephony/calls", query_string={"employee_id": manager.id}).status_code
        == 403
    )
    assert as_role("executor").get("/api/telephony/calls").status_code == 403
    r = manager.get("/api/telephony/calls", query_string={"number": "044 123 45 67"})
    assert len(r.json) == 1


def test_an_employees_extension_is_unique(admin):
    body = {"name": "A", "email": "a@example.com", "role": "manager", "extension": "205"}
    assert admin.post("/api/employees", json=body).status_code == 201
    again = admin.post("/api/employees", json={**body, "email": "b@example.com"})
    assert again.status_code == 409
    bad = admin.post("/api/employees", json={**body, "email": "c@example.com", "extension": "2x"})
    assert "extension" in bad.json["errors"]["json"]
