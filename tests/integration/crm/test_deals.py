"""Deals: kinds and stages, manual moves, the stage history, access, events, the business process."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import transaction, utcnow
from tests.integration.crm.support import created, field_errors, not_refused_by_name, outbox_of
from tests.integration.crm.test_tasks import run_command

STAGES = [
    {"code": "qualification", "name": "Qualification", "duration_days": 2, "probability": 10},
    {
        "code": "proposal",
        "name": "Proposal",
        "duration_days": 5,
        "probability": 40,
        "required": ["amount", "expected_close_date"],
    },
    {"code": "negotiation", "name": "Negotiation", "duration_days": 7, "probability": 70},
]


@pytest.fixture()
def office(as_role, admin):
    """Helen heads Sales with Alice; Bob is also in Sales; Carol sells in Export."""
    helen = as_role("head_of_sales", department="Sales")
    alice = as_role("manager", department="Sales")
    bob = as_role("manager", department="Sales")
    carol = as_role("manager", department="Export")
    secretary = as_role("secretary")
    customer = created(admin, "/api/partners", name="Globex")["id"]
    reason = created(admin, "/api/refusal-reasons", name="Too expensive")["id"]
    return {
        "admin": admin,
        "helen": helen,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "secretary": secretary,
        "customer": customer,
        "reason": reason,
    }


def kind(admin, mode="manual", **extra) -> dict:
    return created(
        admin, "/api/deal-kinds", name=f"Standard sale ({mode})", mode=mode, stages=STAGES, **extra
    )


def deal(client, kind_id, customer, **extra) -> dict:
    return created(
        client,
        "/api/deals",
        name="Pumps for Globex",
        kind_id=kind_id,
        customer_id=customer,
        **extra,
    )


def move(client, deal_id, to, **extra):
    return client.post(f"/api/deals/{deal_id}/move", json={"to": to, **extra})


def test_a_manual_deal_enters_its_first_stage_and_moves_only_as_the_kind_allows(office, sessions):
    k = kind(office["admin"])
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    assert (d["state"], d["stage_code"], d["probability"]) == ("in_progress", "qualification", 10)
    r = move(alice, d["id"], "negotiation")
    assert r.status_code == 409
    assert r.json["allowed"] == ["proposal", "lost", "cancelled"]
    assert move(alice, d["id"], "proposal").status_code == 200
    # Leaving "proposal" needs an amount and an expected close date: each is named.
    errors = field_errors(move(alice, d["id"], "negotiation"))
    assert set(errors) == {"amount", "expected_close_date"}
    r = alice.patch(
        f"/api/deals/{d['id']}", json={"amount": "1200.00", "expected_close_date": "2027-01-31"}
    )
    assert r.status_code == 200, r.json
    moved = move(alice, d["id"], "negotiation").json
    assert (moved["stage_code"], moved["probability"]) == ("negotiation", 70)
    won = move(alice, d["id"], "won").json
    assert (won["state"], won["probability"]) == ("won", 100)
    assert move(alice, d["id"], "proposal").status_code == 409
    history = alice.get(f"/api/deals/{d['id']}/history").json
    assert [(h["to_state"], h["changed_by_id"]) for h in history] == [
        ("in_progress", alice.id)
    ] * 3 + [("won", alice.id)]
    assert history[0]["from_stage_id"] is None and history[0]["seconds_spent"] == 0
    assert [e.type for e in outbox_of(sessions, "DealOpened")] == ["DealOpened"]
    assert len(outbox_of(sessions, "DealStageChanged")) == 3
    [event] = outbox_of(sessions, "DealWon")
    assert (event.data["amount"], event.data["change_id"]) == ("1200.00", history[-1]["id"])


def test_a_lost_deal_names_its_reason_and_may_name_the_competitor(office, sessions):
    k = kind(office["admin"])
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    assert "lost_reason_id" in field_errors(move(alice, d["id"], "lost"))
    rival = created(office["admin"], "/api/partners", name="Initech")["id"]
    r = move(alice, d["id"], "lost", lost_reason_id=office["reason"], competitor_id=rival)
    assert (r.json["state"], r.json["competitor_id"]) == ("lost", rival)
    [event] = outbox_of(sessions, "DealLost")
    assert (event.data["lost_reason_id"], event.data["competitor_id"]) == (office["reason"], rival)


def test_the_stage_history_is_never_rewritten(office, sessions):
    k = kind(office["admin"])
    deal(office["alice"], k["id"], office["customer"])
    for statement in (
        "UPDATE crm.deal_stage_history SET seconds_spent = 5",
        "DELETE FROM crm.deal_stage_history",
    ):
        with pytest.raises(DBAPIError, match="never rewritten"), transaction(sessions) as session:
            session.execute(text(statement))


def test_the_amount_follows_the_demand_lines_unless_set_by_hand(office):
    k = kind(office["admin"])
    alice = office["alice"]
    lines = [
        {"description": "Pump", "quantity": "2", "price": "100.00"},
        {"description": "Installation", "amount": "50.00"},
    ]
    d = deal(alice, k["id"], office["customer"], demand=lines)
    assert (d["amount"], d["amount_manual"]) == ("250.00", False)
    d = alice.patch(f"/api/deals/{d['id']}", json={"amount": "300.00"}).json
    assert (d["amount"], d["amount_manual"]) == ("300.00", True)
    d = alice.patch(f"/api/deals/{d['id']}", json={"demand": lines[:1]}).json
    assert d["amount"] == "300.00"
    d = alice.patch(f"/api/deals/{d['id']}", json={"amount": None}).json
    assert (d["amount"], d["amount_manual"]) == ("200.00", False)


def test_the_manager_the_head_and_admins_change_a_deal_the_department_reads_others_get_404(office):
    k = kind(office["admin"])
    d = deal(office["alice"], k["id"], office["customer"])
    url = f"/api/deals/{d['id']}"
    for who in ("alice", "helen", "admin"):
        r = office[who].patch(url, json={"comment": f"by {who}"})
        assert r.status_code == 200, (who, r.json)
    assert office["bob"].get(url).status_code == 200
    assert office["bob"].patch(url, json={"comment": "x"}).status_code == 403
    for who in ("carol", "secretary"):
        assert office[who].get(url).status_code == 404
        assert office[who].patch(url, json={"comment": "x"}).status_code == 404
    assert office["carol"].get("/api/deals").json == []
    listed = office["bob"].get("/api/deals", query_string={"stage_id": d["stage_id"]}).json
    assert [x["id"] for x in listed] == [d["id"]]


def test_bad_input_is_named(office):
    admin, alice = office["admin"], office["alice"]
    r = admin.post("/api/deal-kinds", json={"name": "x" * 201, "mode": "manual", "stages": []})
    assert {"name", "stages"} <= set(field_errors(r))
    bad_next = [{"code": "a", "name": "A", "next": ["nowhere"]}]
    r = admin.post("/api/deal-kinds", json={"name": "K", "mode": "manual", "stages": bad_next})
    assert "stages.0.next" in field_errors(r)
    k = kind(admin)
    r = alice.post(
        "/api/deals",
        json={
            "name": "D",
            "kind_id": k["id"],
            "customer_id": office["customer"],
            "expected_close_date": "2200-01-01",
            "parties": [{"party_kind": "contact_person", "party_id": 1}] * 51,
            "currency": "euro",
        },
    )
    assert {"expected_close_date", "parties", "currency"} <= set(field_errors(r))
    r = alice.post(
        "/api/deals", json={"name": "D", "kind_id": 999, "customer_id": office["customer"]}
    )
    assert "kind_id" in field_errors(r)
    assert alice.get("/api/deals/99999999999").status_code == 404


def test_instructions_are_links_and_files_read_by_sales_staff(office):
    admin = office["admin"]
    k = kind(admin)
    stage = k["stages"][1]["id"]
    link = admin.post(
        f"/api/deal-kinds/{k['id']}/instructions",
        json={"title": "Pricing", "url": "https://intranet.example.com/pricing", "stage_id": stage},
    ).json
    r = admin.post(
        f"/api/deal-kinds/{k['id']}/instruction-files?title=Template",
        data={"file": (io.BytesIO(b"proposal template"), "template.docx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    shown = office["alice"].get(f"/api/deal-kinds/{k['id']}").json
    assert [i["title"] for i in shown["stages"][1]["instructions"]] == [link["title"]]
    assert [i["title"] for i in shown["instructions"]] == ["Template"]
    got = office["alice"].get(f"/api/files/{r.json['file_id']}")
    assert got.status_code == 200 and got.data == b"proposal template"
    assert office["secretary"].get(f"/api/files/{r.json['file_id']}").status_code == 404

    removing = f"/api/deal-kinds/{k['id']}/instructions/{r.json['id']}"
    assert office["alice"].delete(removing).status_code == 403
    assert admin.delete(removing).status_code == 204
    assert admin.delete(removing).status_code == 404
    assert office["alice"].get(f"/api/files/{r.json['file_id']}").status_code == 404
    shown = office["alice"].get(f"/api/deal-kinds/{k['id']}").json
    assert shown["instructions"] == [] and len(shown["stages"][1]["instructions"]) == 1


def test_an_upload_over_the_limit_is_413_and_deal_files_follow_the_deal(office, app):
    k = kind(office["admin"])
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    limit = app.config["SETTINGS"].upload_max_bytes
    r = alice.post(
        f"/api/deals/{d['id']}/files",
        data={"file": (io.BytesIO(b"x" * (limit + 1)), "big.bin")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413
    r = alice.post(
        f"/api/deals/{d['id']}/files",
        data={"file": (io.BytesIO(b"draft"), "draft.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    assert office["bob"].get(f"/api/files/{r.json['file_id']}").data == b"draft"
    assert office["carol"].get(f"/api/files/{r.json['file_id']}").status_code == 404


def complete(client, task_id, outcome="done", **extra):
    r = client.post(
        f"/api/tasks/{task_id}/complete", json={"outcome": outcome, "result": "ok", **extra}
    )
    assert r.status_code == 200, r.json
    return r.json


def stage_task(client):
    [task] = client.get("/api/tasks", query_string={"kind": "deal_stage", "state": "open"}).json
    return task


def test_a_process_deal_walks_its_stages_through_the_tasks_of_their_performers(office, sessions):
    stages = [dict(s) for s in STAGES]
    stages[1]["performer"] = "head"
    k = created(office["admin"], "/api/deal-kinds", name="Tender", mode="process", stages=stages)
    alice, helen = office["alice"], office["helen"]
    d = deal(alice, k["id"], office["customer"])
    assert d["stage_id"] is None and d["posted_at"] is None
    r = move(alice, d["id"], "proposal")
    assert r.status_code == 409
    dropped = deal(alice, k["id"], office["customer"])
    assert move(alice, dropped["id"], "cancelled").json["state"] == "cancelled"
    posted = alice.post(f"/api/deals/{d['id']}/post").json
    assert posted["stage_code"] == "qualification"
    assert alice.post(f"/api/deals/{d['id']}/post").status_code == 409
    first = stage_task(alice)
    due = datetime.fromisoformat(first["due_at"])
    assert abs(due - (utcnow() + timedelta(days=2))) < timedelta(minutes=1)
    complete(alice, first["id"])
    # The proposal stage is the head's; leaving it needs its fields (422 naming each).
    second = stage_task(helen)
    r = helen.post(f"/api/tasks/{second['id']}/complete", json={"outcome": "done", "result": "ok"})
    assert set(field_errors(r)) == {"amount", "expected_close_date"}
    alice.patch(
        f"/api/deals/{d['id']}", json={"amount": "10.00", "expected_close_date": "2027-02-01"}
    )
    complete(helen, second["id"])
    complete(alice, stage_task(alice)["id"])
    done = alice.get(f"/api/deals/{d['id']}").json
    assert (done["state"], done["probability"]) == ("won", 100)
    assert len(alice.get(f"/api/deals/{d['id']}/history").json) == 4
    svg = alice.get(f"/api/deal-kinds/{k['id']}/flowchart.svg", query_string={"deal_id": d["id"]})
    assert svg.status_code == 200 and b'id="step-negotiation"' in svg.data
    assert len(outbox_of(sessions, "TaskCreated")) == 3


def test_a_stage_task_may_close_the_deal_as_lost_with_a_reason(office):
    k = kind(office["admin"], mode="process")
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    alice.post(f"/api/deals/{d['id']}/post")
    task = stage_task(alice)
    r = alice.post(f"/api/tasks/{task['id']}/complete", json={"outcome": "lost", "result": "no"})
    assert "refusal_reason_id" in field_errors(r)
    complete(alice, task["id"], "lost", refusal_reason_id=office["reason"])
    assert alice.get(f"/api/deals/{d['id']}").json["state"] == "lost"


def test_a_stalled_deal_reminds_its_manager_then_the_head_once_each(office, sessions):
    k = kind(office["admin"])
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    [timer] = [
        m for m in outbox_of(sessions, "ScheduleTimer") if m.data["key"] == f"deal_stall:{d['id']}"
    ]
    fired = {
        "key": timer.data["key"],
        "fire_at": timer.data["fire_at"],
        "fired_at": timer.data["fire_at"],
        "payload": timer.data["payload"],
    }
    run_command(sessions, "TimerFired", fired)
    run_command(sessions, "TimerFired", fired)
    reminders = outbox_of(sessions, "ReminderScheduled")
    assert [r.data["recipient_id"] for r in reminders] == [alice.id]
    assert "too long" in reminders[0].data["text"]
    [head_timer] = [
        m
        for m in outbox_of(sessions, "ScheduleTimer")
        if m.data["key"].startswith("deal_stall_head")
    ]
    head_fired = {**fired, "key": head_timer.data["key"], "payload": head_timer.data["payload"]}
    run_command(sessions, "TimerFired", head_fired)
    run_command(sessions, "TimerFired", head_fired)
    reminders = outbox_of(sessions, "ReminderScheduled")
    assert [r.data["recipient_id"] for r in reminders] == [alice.id, office["helen"].id]
    # Once the deal moves, a late timer of the stage it left reminds nobody.
    move(alice, d["id"], "proposal")
    run_command(sessions, "TimerFired", fired)
    assert len(outbox_of(sessions, "ReminderScheduled")) == 2
    cancelled = {m.data["key"] for m in outbox_of(sessions, "CancelTimer")}
    assert f"deal_stall:{d['id']}" in cancelled


BIG = 2**31


def test_bad_input_to_every_deal_endpoint_is_a_422_naming_the_field(office):
    k = kind(office["admin"])
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    url = f"/api/deals/{d['id']}"
    cases = [
        ({"name": "D", "kind_id": BIG, "customer_id": 1}, "kind_id"),
        ({"name": "D", "kind_id": k["id"], "customer_id": BIG}, "customer_id"),
        ({"name": "D\x00", "kind_id": k["id"], "customer_id": 1}, "name"),
        ({"name": "D", "kind_id": k["id"], "customer_id": 1, "amount": "-1"}, "amount"),
        ({"name": "D", "kind_id": k["id"], "customer_id": 1, "amount": "1e20"}, "amount"),
        ({"name": "D", "kind_id": k["id"], "customer_id": 1, "comment": "x" * 10_001}, "comment"),
        (
            {"name": "D", "kind_id": k["id"], "customer_id": 1, "demand": [{"quantity": "1"}]},
            "demand.0.description",
        ),
        (
            {
                "name": "D",
                "kind_id": k["id"],
                "customer_id": 1,
                "demand": [{"description": "x"}] * 201,
            },
            "demand",
        ),
        (
            {
                "name": "D",
                "kind_id": k["id"],
                "customer_id": 1,
                "parties": [{"party_kind": "counterparty", "party_id": 99}],
            },
            "parties.0.party_id",
        ),
    ]
    assert not_refused_by_name(alice, "post", "/api/deals", cases) == []
    patches = [
        ({"contact_person_id": 99}, "contact_person_id"),
        ({"responsible_id": BIG}, "responsible_id"),
        ({"expected_close_date": "1999-12-31"}, "expected_close_date"),
        ({"state": "won"}, "state"),
    ]
    assert not_refused_by_name(alice, "patch", url, patches) == []
    moves = [
        ({"to": ""}, "to"),
        ({"to": "lost", "lost_reason_id": 99}, "lost_reason_id"),
        ({"to": "lost", "lost_reason_id": office["reason"], "competitor_id": 99}, "competitor_id"),
    ]
    assert not_refused_by_name(alice, "post", f"{url}/move", moves) == []
    assert move(alice, d["id"], "nowhere").json["allowed"] == ["proposal", "lost", "cancelled"]
    members = [
        ({"role": "boss"}, "role"),
        ({"role": "influencer", "name": "A", "influence": "huge"}, "influence"),
        ({"role": "competitor", "partner_id": 99}, "partner_id"),
    ]
    assert not_refused_by_name(alice, "post", f"{url}/environment", members) == []
    links = [({"source_id": 99, "target_id": 98}, "source_id")]
    assert not_refused_by_name(alice, "post", f"{url}/environment/links", links) == []
    interactions = [
        ({"kind": "fax", "subject": "x"}, "kind"),
        ({"kind": "call", "subject": ""}, "subject"),
        (
            {"kind": "call", "subject": "x", "occurred_at": "2101-01-01T00:00:00+00:00"},
            "occurred_at",
        ),
        (
            {"kind": "call", "subject": "x", "participants": [{"kind": "lead", "id": 99}]},
            "participants.0.id",
        ),
        ({"kind": "call", "subject": "x", "deal_id": BIG}, "deal_id"),
    ]
    assert not_refused_by_name(alice, "post", "/api/interactions", interactions) == []
    for path in (
        "/api/deals/999/timeline",
        "/api/deals/999/history",
        "/api/deal-kinds/999",
        "/api/deal-kinds/999/flowchart.svg",
        "/api/interactions/999",
        "/api/partners/999/sales-history",
    ):
        assert alice.get(path).status_code == 404, path
    r = alice.get(f"/api/deal-kinds/{k['id']}/flowchart.svg", query_string={"deal_id": 999})
    assert r.status_code == 404
    assert alice.get(f"{url}/timeline", query_string={"page": 10**9}).json == []


def test_cancelling_a_process_deal_ends_its_open_stage_task_and_its_stall_timers(office, sessions):
    k = kind(office["admin"], mode="process")
    alice = office["alice"]
    d = deal(alice, k["id"], office["customer"])
    alice.post(f"/api/deals/{d['id']}/post")
    task = stage_task(alice)
    r = move(alice, d["id"], "proposal")
    assert (r.status_code, r.json["allowed"]) == (409, ["cancelled"])
    assert move(alice, d["id"], "cancelled").json["state"] == "cancelled"
    assert alice.get(f"/api/tasks/{task['id']}").json["state"] == "cancelled"
    assert alice.patch(f"/api/deals/{d['id']}", json={"comment": "late"}).status_code == 409
    cancelled = {m.data["key"] for m in outbox_of(sessions, "CancelTimer")}
    assert {f"deal_stall:{d['id']}", f"deal_quiet:{d['id']}"} <= cancelled
    [event] = outbox_of(sessions, "DealCancelled")
    assert event.data["stage_id"] == k["stages"][0]["id"]


def test_a_lost_deal_joins_the_lost_analysis_with_stage_competitor_and_amount(office, sessions):
    from tests.integration.crm.analytics.support import read_model, rebuilt, report

    k = kind(office["admin"])
    alice = office["alice"]
    rival = created(office["admin"], "/api/partners", name="Initech", partner_type="competitor")
    d = deal(alice, k["id"], office["customer"], amount="900.00")
    move(alice, d["id"], "lost", lost_reason_id=office["reason"], competitor_id=rival["id"])
    [row] = report(office["admin"], "lost", by="competitor", process_kind="deals")["rows"]
    assert (row["key"], row["name"], row["count"], row["amount"]) == (
        rival["id"],
        "Initech",
        1,
        "900.00",
    )
    stages = report(office["admin"], "lost", by="stage")["rows"]
    assert [(r["key"], r["count"]) for r in stages] == [("qualification", 1)]
    kept = read_model(sessions)  # before the rebuild replaces it
    assert rebuilt(sessions) == kept
