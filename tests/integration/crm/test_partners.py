"""Partners through the API: the business side that groups counterparties."""

import json

import pytest

from tests.integration.crm.support import (
    assert_all_unauthorized,
    created,
    field_errors,
    not_refused_by_name,
)


def test_a_manager_creates_shows_and_edits_a_partner(manager):
    partner = created(manager, "/api/partners", name="Acme", responsible_id=manager.id)
    assert manager.get(f"/api/partners/{partner['id']}").json["name"] == "Acme"
    r = manager.patch(f"/api/partners/{partner['id']}", json={"note": "Key account"})
    assert r.status_code == 200
    assert (r.json["name"], r.json["note"]) == ("Acme", "Key account")


def test_the_partner_list_is_paginated_and_searchable(manager):
    for n in range(5):
        created(manager, "/api/partners", name=f"Partner {n}")
    created(manager, "/api/partners", name="100% Steel")
    r = manager.get("/api/partners?page=2&page_size=2")
    assert r.status_code == 200
    assert [p["name"] for p in r.json] == ["Partner 3", "Partner 2"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 6
    assert [p["name"] for p in manager.get("/api/partners?q=steel").json] == ["100% Steel"]
    # The search takes "%" literally rather than as a wildcard.
    assert [p["name"] for p in manager.get("/api/partners?q=0%25").json] == ["100% Steel"]


def test_partners_are_filtered_by_responsible_manager(manager, as_role):
    other = as_role("manager")
    mine = created(manager, "/api/partners", name="Mine", responsible_id=manager.id)
    created(manager, "/api/partners", name="Theirs", responsible_id=other.id)
    r = manager.get(f"/api/partners?responsible_id={manager.id}")
    assert [p["id"] for p in r.json] == [mine["id"]]


BAD = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 301}, "name"),
    ({"name": "Acme", "responsible_id": 999}, "responsible_id"),
    ({"name": "Acme", "responsible_id": "1"}, "responsible_id"),
    ({"name": "Acme", "colour": "red"}, "colour"),
]


def test_a_bad_partner_field_is_refused_by_name(manager):
    assert not_refused_by_name(manager, "post", "/api/partners", BAD) == []
    assert manager.get("/api/partners").json == []


def test_an_inactive_employee_cannot_be_made_responsible(admin, manager):
    admin.patch(f"/api/employees/{manager.id}", json={"active": False})
    r = admin.post("/api/partners", json={"name": "Acme", "responsible_id": manager.id})
    assert "responsible_id" in field_errors(r)


def test_an_unknown_partner_is_404(manager):
    assert manager.get("/api/partners/999").status_code == 404
    assert manager.patch("/api/partners/999", json={"name": "X"}).status_code == 404


@pytest.mark.parametrize("role", ["secretary", "executor", "head_of_execution"])
def test_only_sales_roles_edit_partners_but_everyone_reads_them(manager, as_role, role):
    partner = created(manager, "/api/partners", name="Acme")
    client = as_role(role)
    assert client.post("/api/partners", json={"name": "Other"}).status_code == 403
    assert client.patch(f"/api/partners/{partner['id']}", json={"name": "X"}).status_code == 403
    assert client.get(f"/api/partners/{partner['id']}").status_code == 200


def test_partners_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/partners"),
        ("post", "/api/partners"),
        ("get", "/api/partners/1"),
        ("patch", "/api/partners/1"),
    )
