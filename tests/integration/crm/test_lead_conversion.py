"""Converting a lead into a partner and counterparty, keeping its status and history."""

import pytest

from tests.integration.crm.support import created, field_errors, outbox_of

HOT, WARM = 1, 2


@pytest.fixture()
def lead(manager):
    """A warm lead, first hot, in the Berlin manager's care."""
    made = created(manager, "/api/leads", name="Stark", responsible_id=manager.id, status_id=HOT)
    manager.post(f"/api/leads/{made['id']}/status", json={"status_id": WARM, "reason": "slow"})
    return made["id"]


def convert(client, lead_id, **body):
    return client.post(f"/api/leads/{lead_id}/convert", json={"kind": "legal_entity", **body})


def test_converting_makes_a_partner_and_a_counterparty_that_keep_status_and_manager(manager, lead):
    r = convert(manager, lead, tax_id="7701234567")
    assert r.status_code == 201, r.json
    counterparty = r.json
    assert counterparty == {
        **counterparty,
        "name": "Stark",
        "kind": "legal_entity",
        "tax_id": "7701234567",
        "status_id": WARM,
        "responsible_id": manager.id,
        "lead_id": lead,
    }
    partner = manager.get(f"/api/partners/{counterparty['partner_id']}").json
    assert (partner["name"], partner["responsible_id"]) == ("Stark", manager.id)
    converted = manager.get(f"/api/leads/{lead}").json
    assert converted["counterparty_id"] == counterparty["id"]
    assert converted["converted_at"] is not None
    assert converted["archived"] is True
    assert manager.get("/api/leads").json == []


def test_a_lead_converts_into_an_existing_partner_under_its_own_name(manager, lead):
    partner = created(manager, "/api/partners", name="Stark Group")["id"]
    r = convert(manager, lead, partner_id=partner, name="Stark Ltd", kind="individual")
    assert r.status_code == 201, r.json
    assert (r.json["partner_id"], r.json["name"], r.json["kind"]) == (
        partner,
        "Stark Ltd",
        "individual",
    )
    assert [p["id"] for p in manager.get("/api/partners").json] == [partner]


def test_the_counterpartys_status_history_includes_the_leads(manager, lead):
    counterparty = convert(manager, lead).json["id"]
    url = f"/api/counterparties/{counterparty}"
    manager.post(f"{url}/status", json={"status_id": HOT, "reason": "signed"})
    history = manager.get(f"{url}/status-history").json
    assert [(h["subject_kind"], h["from_status_id"], h["to_status_id"]) for h in history] == [
        ("lead", None, HOT),
        ("lead", HOT, WARM),
        ("counterparty", WARM, HOT),
    ]
    assert [h["reason"] for h in history][1:] == ["slow", "signed"]


def test_the_lead_converted_event_names_lead_counterparty_and_partner(manager, lead, sessions):
    counterparty = convert(manager, lead).json
    [event] = outbox_of(sessions, "LeadConverted")
    assert (event.aggregate, event.aggregate_id) == ("lead", str(lead))
    assert event.data == {
        "lead_id": lead,
        "counterparty_id": counterparty["id"],
        "partner_id": counterparty["partner_id"],
    }


def test_converting_twice_is_a_conflict(manager, lead, sessions):
    assert convert(manager, lead).status_code == 201
    r = convert(manager, lead)
    assert r.status_code == 409
    assert "already converted" in r.json["message"]
    assert len(manager.get("/api/counterparties").json) == 1
    assert len(outbox_of(sessions, "LeadConverted")) == 1


def test_a_converted_lead_takes_no_new_status_nor_edits(manager, lead, sessions):
    counterparty = convert(manager, lead).json["id"]
    r = manager.post(f"/api/leads/{lead}/status", json={"status_id": HOT})
    assert r.status_code == 409
    assert manager.patch(f"/api/leads/{lead}", json={"archived": False}).status_code == 409
    history = manager.get(f"/api/counterparties/{counterparty}/status-history").json
    assert len(history) == 2
    assert len(outbox_of(sessions, "StatusAssigned")) == 2


def test_a_lead_holding_a_lead_only_status_must_change_it_before_converting(admin, manager):
    lead_only = created(admin, "/api/interaction-statuses", name="Prospect", applies_to="lead")
    made = created(manager, "/api/leads", name="Wayne", status_id=lead_only["id"])
    r = convert(manager, made["id"])
    assert r.status_code == 409
    assert "Prospect" in r.json["message"]
    manager.post(f"/api/leads/{made['id']}/status", json={"status_id": HOT})
    assert convert(manager, made["id"]).json["status_id"] == HOT


def test_a_lead_without_a_status_converts_into_a_counterparty_without_one(manager):
    made = created(manager, "/api/leads", name="Wayne")
    r = convert(manager, made["id"])
    assert r.status_code == 201
    assert r.json["status_id"] is None


def test_bad_conversions_are_refused_by_field_or_as_unknown(manager, lead):
    created(
        manager,
        "/api/counterparties",
        name="Other",
        kind="individual",
        partner_id=created(manager, "/api/partners", name="Other")["id"],
        tax_id="7701234567",
    )
    assert "kind" in field_errors(manager.post(f"/api/leads/{lead}/convert", json={}))
    assert "kind" in field_errors(convert(manager, lead, kind="company"))
    assert "partner_id" in field_errors(convert(manager, lead, partner_id=999))
    assert convert(manager, lead, tax_id="7701234567").status_code == 409
    assert convert(manager, 999).status_code == 404
    assert manager.get(f"/api/leads/{lead}").json["counterparty_id"] is None


@pytest.mark.parametrize("role", ["secretary", "executor"])
def test_only_sales_roles_convert_leads(as_role, lead, role):
    assert convert(as_role(role), lead).status_code == 403
