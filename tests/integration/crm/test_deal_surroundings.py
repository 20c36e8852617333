"""Around a deal: its timeline, its environment with the graph, the group's sales history."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from services.crm.adapters.work import Interaction
from shared.db import transaction
from tests.integration.crm.support import created, field_errors
from tests.integration.crm.test_deals import STAGES


@pytest.fixture()
def scene(as_role, admin):
    alice = as_role("manager", department="Sales")
    carol = as_role("manager", department="Export")
    partner = created(admin, "/api/partners", name="Globex")["id"]
    members = [
        created(
            admin,
            "/api/counterparties",
            name=name,
            partner_id=partner,
            kind="legal_entity",
            responsible_id=alice.id,
        )["id"]
        for name in ("Globex LLC", "Globex Retail")
    ]
    kind = created(admin, "/api/deal-kinds", name="Standard", mode="manual", stages=STAGES)["id"]
    return alice, carol, partner, members, kind


def test_the_timeline_shows_the_deals_and_its_parties_events_in_time_order_paged(scene, sessions):
    alice, carol, _partner, members, kind = scene
    before = created(
        alice,
        "/api/interactions",
        kind="call",
        subject="Before the deal",
        participants=[{"kind": "counterparty", "id": members[1]}],
    )
    with transaction(sessions) as session:  # an interaction logged before the deal opened
        session.execute(
            update(Interaction)
            .where(Interaction.id == before["id"])
            .values(created_at=Interaction.created_at - timedelta(days=1))
        )
    deal = created(
        alice,
        "/api/deals",
        name="Pumps",
        kind_id=kind,
        counterparty_id=members[0],
        parties=[{"party_kind": "counterparty", "party_id": members[1], "role": "payer"}],
    )
    created(alice, "/api/interactions", kind="meeting", subject="Demo", deal_id=deal["id"])
    created(
        alice,
        "/api/interactions",
        kind="email",
        subject="Prices to the payer",
        participants=[{"kind": "counterparty", "id": members[1]}],
    )
    alice.post(
        f"/api/deals/{deal['id']}/files",
        data={"file": (io.BytesIO(b"offer"), "offer.pdf")},
        content_type="multipart/form-data",
    )
    alice.post(f"/api/deals/{deal['id']}/move", json={"to": "proposal"})
    r = alice.get(f"/api/deals/{deal['id']}/timeline")
    assert r.status_code == 200, r.json
    entries = [(e["entry"], e["title"]) for e in r.json]
    assert entries == [
        ("stage_change", "Qualification"),
        ("meeting", "Demo"),
        ("email", "Prices to the payer"),
        ("file", "offer.pdf"),
        ("stage_change", "Proposal"),
    ]
    page = alice.get(f"/api/deals/{deal['id']}/timeline", query_string={"page": 2, "page_size": 2})
    assert [e["title"] for e in page.json] == ["Prices to the payer", "offer.pdf"]
    assert carol.get(f"/api/deals/{deal['id']}/timeline").status_code == 404


def test_the_environment_names_competitors_and_influence_and_draws_its_graph(scene, admin):
    alice, carol, partner, _members, kind = scene
    rival = created(admin, "/api/partners", name="Initech", partner_type="competitor")
    assert rival["partner_type"] == "competitor"
    deal = created(alice, "/api/deals", name="Pumps", kind_id=kind, customer_id=partner)
    url = f"/api/deals/{deal['id']}/environment"
    competitor = created(alice, url, role="competitor", partner_id=rival["id"])
    assert competitor["name"] == "Initech"
    cfo = created(alice, url, role="influencer", name="CFO", influence="high", attitude="opponent")
    link = created(alice, f"{url}/links", source_id=cfo["id"], target_id=competitor["id"])
    assert "name" in field_errors(alice.post(url, json={"role": "other"}))
    shown = alice.get(url).json
    assert [m["name"] for m in shown["members"]] == ["Initech", "CFO"]
    assert shown["links"] == [{**link, "kind": "influences"}]
    svg = alice.get(f"{url}.svg", headers={"Accept-Language": "uk"})
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "конкурент" in svg.get_data(as_text=True)
    assert carol.get(url).status_code == 404
    assert alice.delete(f"{url}/{cfo['id']}").status_code == 204
    assert alice.get(url).json["links"] == []


def test_a_partners_sales_history_holds_the_deals_and_orders_of_all_its_counterparties(scene):
    alice, carol, partner, members, kind = scene
    first = created(alice, "/api/deals", name="A", kind_id=kind, counterparty_id=members[0])
    second = created(alice, "/api/deals", name="B", kind_id=kind, counterparty_id=members[1])
    history = alice.get(f"/api/partners/{partner}/sales-history").json
    assert {d["id"] for d in history["deals"]} == {first["id"], second["id"]}
    assert sorted(history["counterparty_ids"]) == sorted(members)
    assert carol.get(f"/api/partners/{partner}/sales-history").json["deals"] == []


def test_the_dossier_shows_each_counterpartys_deals_its_reader_may_read(scene, admin):
    alice, _carol, partner, members, kind = scene
    created(
        alice, "/api/deals", name="Valves", kind_id=kind, counterparty_id=members[0], amount="70.00"
    )
    won = created(alice, "/api/deals", name="Pipes", kind_id=kind, counterparty_id=members[0])
    for stage in ("proposal", "negotiation", "won"):
        body = {"to": stage}
        alice.patch(
            f"/api/deals/{won['id']}", json={"amount": "30.00", "expected_close_date": "2027-01-01"}
        )
        assert alice.post(f"/api/deals/{won['id']}/move", json=body).status_code == 200
    sections = admin.get(f"/api/partners/{partner}/dossier").json["counterparties"]
    deals = {s["counterparty"]["id"]: s["deals"] for s in sections}
    assert (deals[members[0]]["in_progress"], deals[members[0]]["won"]) == (1, 1)
    assert deals[members[0]]["won_amount"] == "30.00"
    assert [d["name"] for d in deals[members[0]]["latest"]] == ["Pipes", "Valves"]
    assert deals[members[1]]["latest"] == []
