"""Counterparties through the API: legal entities and individuals of a partner."""

import json
from typing import Any

import pytest

from tests.integration.crm.support import (
    assert_all_unauthorized,
    created,
    field_errors,
    not_refused_by_name,
    outbox_of,
)

HOT, WARM = 1, 2


@pytest.fixture()
def partner(manager):
    return created(manager, "/api/partners", name="Acme")["id"]


def counterparty(client, partner_id, **fields):
    body = {"name": "Acme LLC", "kind": "legal_entity", "partner_id": partner_id, **fields}
    return created(client, "/api/counterparties", **body)


def names(response):
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json]


def test_a_manager_registers_a_counterparty_of_a_partner(manager, partner, sessions):
    made = counterparty(
        manager, partner, tax_id="7701234567", responsible_id=manager.id, status_id=WARM
    )
    assert made == {
        **made,
        "partner_id": partner,
        "kind": "legal_entity",
        "tax_id": "7701234567",
        "status_id": WARM,
        "lead_id": None,
    }
    shown = manager.get(f"/api/counterparties/{made['id']}").json
    assert shown == {**made, "next_call": None}  # its next planned call: none without a status
    [event] = outbox_of(sessions, "SubjectRegistered")
    assert event.data["partner_id"] == partner
    assert len(outbox_of(sessions, "StatusAssigned")) == 1


BAD: list[tuple[dict[str, Any], str]] = [
    ({"partner_id": 999}, "partner_id"),
    ({"partner_id": None}, "partner_id"),
    ({"kind": "company"}, "kind"),
    ({"kind": None}, "kind"),
    ({"tax_id": ""}, "tax_id"),
    ({"tax_id": "1" * 33}, "tax_id"),
    ({"responsible_id": 999}, "responsible_id"),
    ({"status_id": 999}, "status_id"),
]


def test_a_bad_counterparty_field_is_refused_by_name(manager, partner):
    body = {"name": "Acme LLC", "kind": "individual", "partner_id": partner}
    cases = [({**body, **change}, field) for change, field in BAD]
    assert not_refused_by_name(manager, "post", "/api/counterparties", cases) == []
    assert manager.get("/api/counterparties").json == []


def test_a_tax_id_belongs_to_one_counterparty(manager, partner):
    first = counterparty(manager, partner, tax_id="7701234567")
    second = counterparty(manager, partner, name="Acme Trade", tax_id="7707654321")
    r = manager.post(
        "/api/counterparties",
        json={
            "name": "Copy",
            "kind": "legal_entity",
            "partner_id": partner,
            "tax_id": "7701234567",
        },
    )
    assert r.status_code == 409
    assert "7701234567" in r.json["message"]
    url = f"/api/counterparties/{second['id']}"
    assert manager.patch(url, json={"tax_id": "7701234567"}).status_code == 409
    own = manager.patch(f"/api/counterparties/{first['id']}", json={"tax_id": "7701234567"})
    assert own.status_code == 200


def test_counterparties_are_filtered_by_partner_status_and_manager(manager, partner, as_role):
    other_partner = created(manager, "/api/partners", name="Globex")["id"]
    colleague = as_role("manager")
    counterparty(manager, partner, name="A hot", status_id=HOT, responsible_id=manager.id)
    counterparty(manager, partner, name="A warm", status_id=WARM, responsible_id=colleague.id)
    counterparty(manager, other_partner, name="G hot", status_id=HOT, responsible_id=manager.id)
    assert names(manager.get(f"/api/counterparties?partner_id={partner}")) == ["A warm", "A hot"]
    assert names(manager.get(f"/api/counterparties?status_id={HOT}")) == ["G hot", "A hot"]
    url = f"/api/counterparties?partner_id={partner}&responsible_id={manager.id}"
    assert names(manager.get(url)) == ["A hot"]
    assert names(manager.get("/api/counterparties?q=warm")) == ["A warm"]
    r = manager.get("/api/counterparties?page_size=2&page=2")
    assert names(r) == ["A hot"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 3


def test_a_counterparty_is_edited_moved_and_archived(manager, partner, sessions):
    made = counterparty(manager, partner)
    other_partner = created(manager, "/api/partners", name="Globex")["id"]
    url = f"/api/counterparties/{made['id']}"
    r = manager.patch(url, json={"partner_id": other_partner, "kind": "individual"})
    assert (r.json["partner_id"], r.json["kind"]) == (other_partner, "individual")
    assert "partner_id" in field_errors(manager.patch(url, json={"partner_id": 999}))
    assert manager.patch(url, json={"archived": True}).json["archived"] is True
    assert names(manager.get("/api/counterparties")) == []
    assert names(manager.get("/api/counterparties?archived=true")) == [made["name"]]
    assert len(outbox_of(sessions, "SubjectArchived")) == 1


def test_an_unknown_counterparty_is_404(manager):
    assert manager.get("/api/counterparties/999").status_code == 404
    assert manager.patch("/api/counterparties/999", json={"name": "x"}).status_code == 404
    assert manager.get("/api/counterparties/999/status-history").status_code == 404


@pytest.mark.parametrize("role", ["secretary", "executor"])
def test_secretaries_and_executors_only_read_counterparties(manager, partner, as_role, role):
    made = counterparty(manager, partner)
    client = as_role(role)
    body = {"name": "X", "kind": "individual", "partner_id": partner}
    assert client.post("/api/counterparties", json=body).status_code == 403
    url = f"/api/counterparties/{made['id']}"
    assert client.patch(url, json={"name": "X"}).status_code == 403
    assert client.get(url).json == {**made, "next_call": None}


def test_counterparties_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/counterparties"),
        ("post", "/api/counterparties"),
        ("get", "/api/counterparties/1"),
        ("patch", "/api/counterparties/1"),
        ("post", "/api/counterparties/1/status"),
    )
