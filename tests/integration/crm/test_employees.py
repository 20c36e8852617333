"""Employees, their roles and bearer tokens through the API."""

import hashlib

import pytest
from sqlalchemy import select

from services.crm.adapters.orm import ApiToken
from tests.integration.crm.conftest import Client
from tests.integration.crm.support import (
    assert_all_unauthorized,
    created,
    not_refused_by_name,
)

NEW = {"name": "Olga Petrova", "email": "olga@example.com", "role": "manager"}


def token_for(admin, employee_id: int, label: str | None = None) -> str:
    return created(admin, f"/api/employees/{employee_id}/tokens", label=label)["token"]


def test_admin_adds_an_employee_with_role_department_and_time_zone(admin):
    r = admin.post("/api/employees", json={**NEW, "department": "Sales", "timezone": "Asia/Tokyo"})
    assert r.status_code == 201, r.json
    assert r.json == {
        **r.json,
        **NEW,
        "department": "Sales",
        "timezone": "Asia/Tokyo",
        "active": True,
    }
    assert admin.get(f"/api/employees/{r.json['id']}").json["email"] == NEW["email"]
    assert [e["id"] for e in admin.get("/api/employees?role=manager").json] == [r.json["id"]]


def test_time_zone_defaults_to_utc(admin):
    assert created(admin, "/api/employees", **NEW)["timezone"] == "UTC"


BAD = [
    ("role", "boss"),
    ("email", "not-an-email"),
    ("email", "a" * 330 + "@example.com"),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "Europe"),  # a folder of the zone database, not a zone
    ("timezone", "Europe/" + "x" * 300),
    ("name", ""),
]


def test_a_bad_employee_field_is_refused_by_name(admin):
    cases = [({**NEW, field: bad}, field) for field, bad in BAD]
    assert not_refused_by_name(admin, "post", "/api/employees", cases) == []
    assert admin.get("/api/employees?role=manager").json == []


def test_a_taken_email_is_a_conflict_on_create_and_on_edit(admin):
    created(admin, "/api/employees", **NEW)
    other = created(admin, "/api/employees", **{**NEW, "email": "ivan@example.com"})
    r = admin.post("/api/employees", json=NEW)
    assert r.status_code == 409
    assert NEW["email"] in r.json["message"]
    r = admin.patch(f"/api/employees/{other['id']}", json={"email": NEW["email"]})
    assert r.status_code == 409


@pytest.mark.parametrize("role", ["manager", "secretary", "head_of_sales", "executor"])
def test_only_admins_add_or_edit_employees(as_role, role):
    client = as_role(role)
    assert client.post("/api/employees", json=NEW).status_code == 403
    assert client.patch(f"/api/employees/{client.id}", json={"role": "admin"}).status_code == 403


def test_admin_changes_an_employees_role_and_time_zone(admin, manager):
    r = admin.patch(
        f"/api/employees/{manager.id}", json={"role": "head_of_sales", "timezone": "UTC"}
    )
    assert r.status_code == 200, r.json
    assert (r.json["role"], r.json["timezone"]) == ("head_of_sales", "UTC")


def test_me_is_the_employee_the_token_belongs_to(manager):
    r = manager.get("/api/employees/me")
    assert r.status_code == 200
    assert (r.json["id"], r.json["role"], r.json["timezone"]) == (
        manager.id,
        "manager",
        "Europe/Berlin",
    )


def test_unknown_employee_is_404(admin):
    assert admin.get("/api/employees/999").status_code == 404
    assert admin.patch("/api/employees/999", json={"name": "X"}).status_code == 404
    assert admin.post("/api/employees/999/tokens", json={}).status_code == 404


def test_an_issued_token_is_shown_once_and_authenticates(app, admin):
    employee = created(admin, "/api/employees", **NEW)
    token = token_for(admin, employee["id"], "laptop")
    assert Client(app, None, token).get("/api/employees/me").json["id"] == employee["id"]
    listed = admin.get(f"/api/employees/{employee['id']}/tokens").json
    assert [t["label"] for t in listed] == ["laptop"]
    assert token not in str(listed)
    assert "token" not in listed[0]


def test_tokens_are_stored_only_as_hashes(admin, sessions):
    employee = created(admin, "/api/employees", **NEW)
    token = token_for(admin, employee["id"])
    with sessions() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.employee_id == employee["id"])).one()
    stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(token in value for value in stored)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_a_revoked_token_is_refused(app, admin):
    employee = created(admin, "/api/employees", **NEW)
    token = token_for(admin, employee["id"])
    [listed] = admin.get(f"/api/employees/{employee['id']}/tokens").json
    r = admin.delete(f"/api/employees/{employee['id']}/tokens/{listed['id']}")
    assert r.status_code == 200
    assert r.json["revoked_at"] is not None
    r = Client(app, None, token).get("/api/employees/me")
    assert r.status_code == 401
    assert r.json["message"] == "invalid or revoked token"


def test_an_employee_manages_their_own_tokens_but_not_anothers(app, as_role):
    manager, colleague = as_role("manager"), as_role("manager")
    own = token_for(manager, manager.id)
    assert Client(app, None, own).get("/api/employees/me").json["id"] == manager.id
    [_, own_row] = manager.get(f"/api/employees/{manager.id}/tokens").json
    assert manager.delete(f"/api/employees/{manager.id}/tokens/{own_row['id']}").status_code == 200
    assert Client(app, None, own).get("/api/employees/me").status_code == 401

    assert manager.post(f"/api/employees/{colleague.id}/tokens", json={}).status_code == 403
    assert manager.get(f"/api/employees/{colleague.id}/tokens").status_code == 403
    [theirs] = colleague.get(f"/api/employees/{colleague.id}/tokens").json
    url = f"/api/employees/{colleague.id}/tokens/{theirs['id']}"
    assert manager.delete(url).status_code == 403
    assert colleague.get("/api/employees/me").status_code == 200


def test_a_token_is_revoked_only_under_its_own_employee(admin, manager):
    [row] = admin.get(f"/api/employees/{admin.id}/tokens").json
    assert admin.delete(f"/api/employees/{manager.id}/tokens/{row['id']}").status_code == 404
    assert admin.delete(f"/api/employees/{admin.id}/tokens/999").status_code == 404
    assert admin.get("/api/employees/me").status_code == 200


def test_a_deactivated_employees_token_is_refused(admin, manager):
    assert manager.get("/api/employees/me").status_code == 200
    r = admin.patch(f"/api/employees/{manager.id}", json={"active": False})
    assert r.status_code == 200
    assert manager.get("/api/employees/me").status_code == 401


def test_employees_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/employees"),
        ("get", "/api/employees/me"),
        ("post", "/api/employees"),
        ("post", "/api/employees/1/tokens"),
    )


def test_health_and_api_docs_need_no_token(anonymous):
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/health").status_code in (200, 503)
