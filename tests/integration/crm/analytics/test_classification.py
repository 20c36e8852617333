"""Document 000: the classification of buyers sets stages, classes and, by its rules, the
interaction statuses (through the normal assignment); runs are listed with every buyer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from services.crm.analytics.adapters.rebuild import rebuild
from services.crm.analytics.adapters.records import ClassificationLine
from services.crm.analytics.handlers import classification
from shared.contracts import CRM
from shared.db import transaction, utcnow
from tests import factories
from tests.integration.crm.analytics.support import run_command
from tests.integration.crm.support import created, field_errors, outbox_of

HOT, WARM, COLD, HOPELESS = 1, 2, 3, 4


@pytest.fixture()
def buyers(admin, as_role, sessions):
    """Three leads and three counterparties, and the document's rules and strategies."""
    alice = as_role("manager", department="Sales")
    lead_only = created(admin, "/api/interaction-statuses", name="Lead only", applies_to="lead")[
        "id"
    ]
    for rule in (
        {"stage": "prospect", "status_id": WARM},
        {"stage": "dormant", "status_id": lead_only},
        {"stage": "regular", "abc_class": "A", "status_id": HOT},
    ):
        created(admin, "/api/classification-rules", **rule)
    r = admin.patch("/api/relationship-strategies/B", json={"status_id": COLD})
    assert r.status_code == 200, r.json

    def lead(name, **fields):
        return created(alice, "/api/leads", name=name, responsible_id=alice.id, **fields)["id"]

    def counterparty(name):
        body = {
            "name": name,
            "partner_id": partner,
            "kind": "legal_entity",
            "responsible_id": alice.id,
        }
        return created(alice, "/api/counterparties", **body)["id"]

    partner = created(alice, "/api/partners", name="Group")["id"]
    ids = {
        "L1": lead("Prospect"),
        "L2": lead("Archived"),
        "L3": lead("Given up", status_id=HOPELESS),
    }
    assert alice.patch(f"/api/leads/{ids['L2']}", json={"archived": True}).status_code == 200
    ids |= {name: counterparty(name) for name in ("K1", "K2", "K3")}
    item = created(admin, "/api/items", name="Pump")["id"]
    with transaction(sessions) as session:
        for name, days, price in (("K1", 40, "600"), ("K1", 45, "400"), ("K2", 50, "100")):
            factories.routed_order(
                session, ids[name], [(item, "1", price)], utcnow() - timedelta(days=days)
            )
        session.execute(
            text(
                "UPDATE crm.counterparties SET created_at = now() - interval '200 days' WHERE id = :id"
            ),
            {"id": ids["K3"]},
        )
        rebuild(session)  # the orders above were written as history
    return alice, ids, lead_only


def lines_of(client, run_id: int, **query) -> dict:
    r = client.get(f"/api/buyer-classifications/{run_id}/lines", query_string=query)
    assert r.status_code == 200, r.json
    return {(line["subject_kind"], line["name"]): line for line in r.json}


def test_an_admins_run_lists_every_buyer_and_assigns_the_statuses_its_rules_call_for(
    buyers, admin, sessions
):
    alice, ids, lead_only = buyers
    r = admin.post("/api/buyer-classifications", json={})
    assert r.status_code == 202 and r.json["state"] == "pending"
    run = r.json
    [command] = outbox_of(sessions, "RunClassification")
    assert (command.queue, command.data) == (CRM, {"run_id": run["id"]})

    run_command(sessions, "RunClassification", {"run_id": run["id"]})

    done = admin.get(f"/api/buyer-classifications/{run['id']}").json
    assert (done["state"], done["trigger"], done["requested_by_id"]) == (
        "done",
        "request",
        admin.id,
    )
    assert done["counts"]["changed"] == 4
    lines = lines_of(admin, run["id"])
    got = {
        key: (
            line["stage"],
            line["abc_class"],
            line["old_status_id"],
            line["new_status_id"],
            line["changed"],
        )
        for key, line in lines.items()
    }
    assert got == {
        ("lead", "Prospect"): ("prospect", None, None, WARM, True),
        ("lead", "Archived"): ("dormant", None, None, None, False),
        ("lead", "Given up"): ("dormant", None, HOPELESS, lead_only, True),
        ("counterparty", "K1"): ("regular", "A", None, HOT, True),
        ("counterparty", "K2"): ("new", "B", None, COLD, True),  # class B's strategy
        ("counterparty", "K3"): ("dormant", None, None, None, False),
    }
    assert "archived" in lines["lead", "Archived"]["note"]
    assert (
        "does not apply" in lines["counterparty", "K3"]["note"]
        or lines["counterparty", "K3"]["note"]
    )
    # Applied through the normal assignment: the history and the events the scheduler plans from.
    assert alice.get(f"/api/counterparties/{ids['K1']}").json["status_id"] == HOT
    history = alice.get(f"/api/counterparties/{ids['K1']}/status-history").json
    assert f"No. {run['id']}" in history[-1]["reason"] and history[-1]["assigned_by_id"] == admin.id
    assigned = {
        (e.data["subject_kind"], e.data["subject_id"])
        for e in outbox_of(sessions, "StatusAssigned")
    }
    assert {
        ("counterparty", ids["K1"]),
        ("counterparty", ids["K2"]),
        ("lead", ids["L1"]),
    } <= assigned
    changed = lines_of(admin, run["id"], changed=True, subject_kind="counterparty")
    assert set(changed) == {("counterparty", "K1"), ("counterparty", "K2")}
    # Carried out once: a redelivered command finds the run done.
    run_command(sessions, "RunClassification", {"run_id": run["id"]})
    assert len(lines_of(admin, run["id"])) == 6


def test_the_nightly_routine_runs_the_document_until_the_buyers_settle(buyers, admin, sessions):
    _, ids, _ = buyers
    for period in ("p", "q", "r"):
        run_command(sessions, "RunRoutine", {"routine": "reclassify_buyers", "period": period})
    third, second, first = admin.get("/api/buyer-classifications").json
    assert [run["trigger"] for run in (first, second, third)] == ["routine"] * 3
    assert (first["counts"]["leads"], first["counts"]["counterparties"]) == (3, 3)
    # The given-up lead called again is a prospect the next night, and takes the prospects' status.
    assert [run["counts"]["changed"] for run in (first, second, third)] == [4, 1, 0]
    assert lines_of(admin, second["id"], changed=True) == {
        ("lead", "Given up"): lines_of(admin, second["id"])[("lead", "Given up")]
    }
    assert admin.get(f"/api/leads/{ids['L3']}").json["status_id"] == WARM


def test_lines_of_all_but_the_latest_runs_are_let_go(buyers, sessions, settings):
    with transaction(sessions) as session:
        first = classification.run_routine(session, keep_runs=1, settings=settings)
        classification.run_routine(session, keep_runs=1, settings=settings)
    with sessions() as session:
        runs = session.execute(
            select(ClassificationLine.run_id, func.count()).group_by(ClassificationLine.run_id)
        ).all()
    assert len(runs) == 1 and first["changed"] == 4


def test_only_admins_start_or_change_the_document_heads_read_it(buyers, admin, as_role):
    alice, *_ = buyers
    head = as_role("head_of_sales", department="Sales")
    assert alice.post("/api/buyer-classifications", json={}).status_code == 403
    assert head.post("/api/buyer-classifications", json={}).status_code == 403
    assert head.get("/api/buyer-classifications").status_code == 200
    assert alice.get("/api/buyer-classifications").status_code == 403
    assert (
        alice.post("/api/classification-rules", json={"stage": "new", "status_id": HOT}).status_code
        == 403
    )
    assert alice.get("/api/classification-rules").status_code == 200


def test_bad_rules_and_run_requests_are_refused_naming_the_field(buyers, admin):
    assert "stage" in field_errors(
        admin.post("/api/classification-rules", json={"stage": "vip", "status_id": HOT})
    )
    assert "status_id" in field_errors(
        admin.post("/api/classification-rules", json={"stage": "new", "status_id": 999})
    )
    assert "abc_class" in field_errors(
        admin.post(
            "/api/classification-rules", json={"stage": "new", "abc_class": "D", "status_id": HOT}
        )
    )
    duplicate = admin.post(
        "/api/classification-rules", json={"stage": "prospect", "status_id": HOT}
    )
    assert duplicate.status_code == 409
    assert admin.patch("/api/relationship-strategies/D", json={"status_id": HOT}).status_code == 404
    backwards = admin.post(
        "/api/buyer-classifications", json={"from": "2026-05-01", "to": "2026-01-01"}
    )
    assert "from" in field_errors(backwards)
    assert admin.get("/api/buyer-classifications/999999").status_code == 404


def test_rules_are_changed_and_removed(buyers, admin):
    rules = admin.get("/api/classification-rules").json
    prospect = next(r for r in rules if r["stage"] == "prospect")
    assert (
        admin.put(f"/api/classification-rules/{prospect['id']}", json={"status_id": HOT}).json[
            "status_id"
        ]
        == HOT
    )
    assert admin.delete(f"/api/classification-rules/{prospect['id']}").status_code == 204
    assert len(admin.get("/api/classification-rules").json) == len(rules) - 1
    strategies = admin.get("/api/relationship-strategies").json
    assert [(s["abc_class"], s["title"]) for s in strategies] == [
        ("A", "Key customers"),
        ("B", "Regular customers"),
        ("C", "Small customers"),
    ]
