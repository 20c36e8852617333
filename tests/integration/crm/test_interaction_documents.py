"""Interactions recorded on their own: participants, follow-ups, deals made from them, search."""

from __future__ import annotations

import pytest

from tests.integration.crm.support import created, field_errors, outbox_of
from tests.integration.crm.test_deals import STAGES


@pytest.fixture()
def world(as_role, admin):
    alice = as_role("manager", department="Sales")
    bob = as_role("manager", department="Sales")
    carol = as_role("manager", department="Export")
    partner = created(admin, "/api/partners", name="Globex")["id"]
    counterparty = created(
        admin,
        "/api/counterparties",
        name="Globex LLC",
        partner_id=partner,
        kind="legal_entity",
        responsible_id=alice.id,
    )["id"]
    contact = created(admin, f"/api/partners/{partner}/contacts", name="Ann Smith")["id"]
    kind = created(admin, "/api/deal-kinds", name="Standard", mode="manual", stages=STAGES)["id"]
    return alice, bob, carol, partner, counterparty, contact, kind


def test_an_interaction_is_recorded_listed_by_participant_and_found_by_its_words(world, sessions):
    alice, bob, carol, _partner, counterparty, contact, _ = world
    people = [
        {"kind": "contact_person", "id": contact},
        {"kind": "counterparty", "id": counterparty},
    ]
    meeting = created(
        alice,
        "/api/interactions",
        kind="meeting",
        subject="Pump station tour",
        details="They liked the centrifugal pumps",
        participants=people,
    )
    assert (meeting["author_id"], meeting["subject_kind"]) == (alice.id, "counterparty")
    created(
        alice, "/api/interactions", kind="call", subject="Price check", details="discount asked"
    )
    [event] = outbox_of(sessions, "InteractionRecorded")[:1]
    assert event.data["kind"] == "meeting"
    by_contact = bob.get(
        "/api/interactions",
        query_string={"participant_kind": "contact_person", "participant_id": contact},
    ).json
    assert [i["id"] for i in by_contact] == [meeting["id"]]
    found = bob.get("/api/interactions", query_string={"q": "centrifugal"}).json
    assert [i["id"] for i in found] == [meeting["id"]]
    assert [
        i["kind"] for i in bob.get("/api/interactions", query_string={"kind": "call"}).json
    ] == ["call"]
    assert carol.get("/api/interactions").json == []
    assert carol.get(f"/api/interactions/{meeting['id']}").status_code == 404
    period = {"from": "2099-01-01T00:00:00+00:00"}
    assert alice.get("/api/interactions", query_string=period).json == []
    r = alice.get("/api/interactions", query_string={"from": "1900-01-01T00:00:00+00:00"})
    assert r.status_code == 422


def test_a_follow_up_and_a_deal_are_made_from_an_interaction_the_deal_linked_both_ways(world):
    alice, _, _, partner, counterparty, contact, kind = world
    people = [
        {"kind": "contact_person", "id": contact},
        {"kind": "counterparty", "id": counterparty},
    ]
    call = created(
        alice, "/api/interactions", kind="call", subject="First call", participants=people
    )
    follow = created(alice, f"/api/interactions/{call['id']}/follow-up", kind="email")
    assert (follow["follows_id"], follow["participants"], follow["subject"]) == (
        call["id"],
        people,
        "First call",
    )
    deal = created(alice, f"/api/interactions/{call['id']}/deal", name="Pumps", kind_id=kind)
    assert (deal["source"], deal["source_interaction_id"]) == ("interaction", call["id"])
    assert (deal["customer_id"], deal["counterparty_id"], deal["contact_person_id"]) == (
        partner,
        counterparty,
        contact,
    )
    assert alice.get(f"/api/interactions/{call['id']}").json["deal_id"] == deal["id"]
    assert (
        alice.post(
            f"/api/interactions/{call['id']}/deal", json={"name": "Again", "kind_id": kind}
        ).status_code
        == 409
    )
    about = created(alice, "/api/interactions", kind="other", subject="Note", deal_id=deal["id"])
    listed = alice.get("/api/interactions", query_string={"deal_id": deal["id"]}).json
    assert [i["id"] for i in listed] == [about["id"], call["id"]]


def test_deals_are_opened_from_a_counterparty_or_a_lead(world, admin):
    alice, _, _, partner, counterparty, _, kind = world
    from_counterparty = created(
        alice, "/api/deals", name="Valves", kind_id=kind, counterparty_id=counterparty
    )
    assert (from_counterparty["source"], from_counterparty["customer_id"]) == (
        "counterparty",
        partner,
    )
    lead = created(alice, "/api/leads", name="Initech", responsible_id=alice.id)["id"]
    from_lead = created(alice, "/api/deals", name="Pipes", kind_id=kind, lead_id=lead)
    assert (from_lead["source"], from_lead["customer_id"], from_lead["lead_id"]) == (
        "lead",
        None,
        lead,
    )
    alice.post(f"/api/leads/{lead}/convert", json={"kind": "legal_entity", "partner_id": partner})
    converted = alice.get(f"/api/deals/{from_lead['id']}").json
    assert converted["customer_id"] == partner and converted["counterparty_id"] is not None
    r = alice.post("/api/deals", json={"name": "Nothing", "kind_id": kind})
    assert "customer_id" in field_errors(r)
