"""The client dossier gathers, in one request, what the CRM's other endpoints show one by one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.crm.adapters.work import Task
from services.crm.analytics.adapters.rebuild import rebuild
from shared.db import transaction, utcnow
from tests import factories
from tests.integration.crm.analytics.support import call_due, run_command
from tests.integration.crm.support import created


def ok(client, url: str, **query):
    r = client.get(url, query_string=query)
    assert r.status_code == 200, r.json
    return r.json


@pytest.fixture()
def client_file(as_role, admin, sessions):
    """Globex: a lead called and converted, a second counterparty, contacts, a linked partner,
    a planned call, orders (one with a loyalty card), a claim, and a classification."""
    alice = as_role("manager", department="Sales")
    lead = created(alice, "/api/leads", name="Globex", responsible_id=alice.id, status_id=1)
    call_due(sessions, lead, alice.id, plan_id=1, due_at=utcnow() + timedelta(hours=1))
    with sessions() as session:
        task = session.scalar(select(Task.id).where(Task.kind == "call"))
    r = alice.post(
        f"/api/tasks/{task}/complete", json={"outcome": "talked", "result": "Interested"}
    )
    assert r.status_code == 200, r.json
    converted = alice.post(
        f"/api/leads/{lead['id']}/convert",
        json={"kind": "legal_entity", "partner_name": "Globex Group"},
    )
    assert converted.status_code == 201, converted.json
    main = converted.json
    partner_id = main["partner_id"]
    second = created(
        alice,
        "/api/counterparties",
        name="Globex Retail",
        partner_id=partner_id,
        kind="legal_entity",
        responsible_id=alice.id,
    )
    created(
        alice, f"/api/partners/{partner_id}/contacts", name="Hank Scorpio", phones=["+1 555 0101"]
    )
    other = created(alice, "/api/partners", name="Initech")
    created(
        alice, f"/api/partners/{partner_id}/links", related_partner_id=other["id"], kind="supplier"
    )
    run_command(
        sessions,
        "CallPlanned",
        {
            "plan_id": 41,
            "subject_kind": "counterparty",
            "subject_id": main["id"],
            "responsible_id": alice.id,
            "status_id": 1,
            "next_call_at": (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat(),
            "state": "planned",
            "revision": 3,
        },
    )
    card = created(
        admin,
        "/api/loyalty-cards",
        number="GLX-1",
        counterparty_id=main["id"],
        discount_percent="5",
        valid_from=str(utcnow().date()),
    )
    item = created(admin, "/api/items", name="Pump")["id"]
    with transaction(sessions) as session:
        for days, price in ((70, "100"), (40, "200"), (10, "300")):
            factories.routed_order(
                session,
                main["id"],
                [(item, "1", price)],
                utcnow() - timedelta(days=days),
                author_id=alice.id,
            )
        rebuild(session)
    claim = created(
        alice,
        "/api/claims",
        counterparty_id=main["id"],
        title="Broken pump",
        deadline=(utcnow() + timedelta(days=5)).isoformat(),
    )
    run_command(sessions, "RunRoutine", {"routine": "reclassify_buyers", "period": "p"})
    return alice, partner_id, main, second, card, claim


def test_the_dossier_gathers_everything_about_a_partner(client_file):
    alice, partner_id, main, second, card, _ = client_file
    dossier = ok(alice, f"/api/partners/{partner_id}/dossier")

    assert dossier["partner"] == ok(alice, f"/api/partners/{partner_id}")
    assert dossier["contacts"] == ok(alice, f"/api/partners/{partner_id}/contacts")
    assert dossier["links"] == ok(alice, f"/api/partners/{partner_id}/links")
    first, other = dossier["counterparties"]
    assert (first["counterparty"], other["counterparty"]) == (
        ok(alice, f"/api/counterparties/{main['id']}"),
        ok(alice, f"/api/counterparties/{second['id']}"),
    )
    # The status and its whole history (the lead's included), and the next planned call.
    assert first["status"]["history"] == ok(
        alice, f"/api/counterparties/{main['id']}/status-history"
    )
    assert (first["status"]["status_id"], first["status"]["name"]) == (1, "Hot")
    [plan] = ok(alice, "/api/call-plans", responsible_id=alice.id)
    next_call = first["counterparty"]["next_call"]
    assert (next_call["at"], next_call["state"], next_call["responsible_id"]) == (
        plan["next_call_at"],
        "planned",
        alice.id,
    )
    assert other["counterparty"]["next_call"] is None
    # Orders newest first, the latest interactions (the call made to the lead), the claims.
    assert [o["total"] for o in first["orders"]["latest"]] == ["300.00", "200.00", "100.00"]
    assert first["orders"]["count"] == 3
    [call] = first["interactions"]
    assert (call["kind"], call["subject_kind"], call["outcome"]) == ("call", "lead", "talked")
    assert first["claims"]["open"] == 1
    assert first["claims"]["latest"] == ok(alice, "/api/claims", counterparty_id=main["id"])
    assert other["claims"] == {"open": 0, "latest": []}
    # The class the nightly classification gave, and the loyalty figures of the read model.
    assert (first["classes"]["abc"], first["classes"]["stage"]) == ("A", "regular")
    loyalty = first["loyalty"]
    assert (loyalty["orders"], loyalty["revenue"], loyalty["average_gap_days"]) == (
        3,
        "600.00",
        30.0,
    )
    assert loyalty["going_dormant"] is False
    assert [c["id"] for c in loyalty["cards"]] == [card["id"]]
    assert other["loyalty"] == {"orders": 0, "revenue": "0.00", "cards": []}


def test_the_dossier_is_read_as_the_customer_is(client_file, as_role):
    alice, partner_id, *_ = client_file
    assert (
        as_role("manager", department="Export")
        .get(f"/api/partners/{partner_id}/dossier")
        .status_code
        == 404
    )
    assert as_role("secretary").get(f"/api/partners/{partner_id}/dossier").status_code == 200
    assert alice.get("/api/partners/999999/dossier").status_code == 404
