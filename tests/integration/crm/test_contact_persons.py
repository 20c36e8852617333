"""Contact persons of a partner: names, job titles, phones and e-mails."""

from typing import Any

import pytest

from tests.integration.crm.support import (
    assert_all_unauthorized,
    created,
    not_refused_by_name,
)

IVAN = {
    "name": "Ivan Sidorov",
    "job_title": "Buyer",
    "phones": ["+7 (495) 123-45-67"],
    "emails": ["ivan@acme.example"],
}


@pytest.fixture()
def partner(manager):
    return created(manager, "/api/partners", name="Acme")


def test_a_contact_is_added_listed_edited_and_removed(manager, partner):
    url = f"/api/partners/{partner['id']}/contacts"
    contact = created(manager, url, **IVAN)
    assert contact == {**contact, **IVAN, "partner_id": partner["id"]}
    assert manager.get(url).json == [contact]

    r = manager.patch(f"/api/contacts/{contact['id']}", json={"phones": ["+49 30 1234567"]})
    assert r.status_code == 200
    assert (r.json["phones"], r.json["emails"]) == (["+49 30 1234567"], IVAN["emails"])

    assert manager.delete(f"/api/contacts/{contact['id']}").status_code == 204
    assert manager.get(url).json == []
    assert manager.delete(f"/api/contacts/{contact['id']}").status_code == 404


BAD: list[tuple[dict[str, Any], str]] = [
    ({"phones": ["call me"]}, "phones"),
    ({"phones": ["1" * 31]}, "phones"),
    ({"phones": "+7 495 1234567"}, "phones"),
    ({"emails": ["ivan-at-acme"]}, "emails"),
    ({"emails": ["x" * 320 + "@acme.example"]}, "emails"),
    ({"name": None}, "name"),
    ({"job_title": "x" * 201}, "job_title"),
    ({"partner_id": 2}, "partner_id"),
]


def test_bad_contact_details_are_refused_by_name(manager, partner):
    url = f"/api/partners/{partner['id']}/contacts"
    assert not_refused_by_name(manager, "post", url, [({**IVAN, **c}, f) for c, f in BAD]) == []
    contact = created(manager, url, **IVAN)
    edits = [(c, f) for c, f in BAD if f != "name"]
    assert not_refused_by_name(manager, "patch", f"/api/contacts/{contact['id']}", edits) == []
    assert manager.get(url).json == [contact]


def test_contacts_of_an_unknown_partner_or_an_unknown_contact_are_404(manager):
    assert manager.get("/api/partners/999/contacts").status_code == 404
    assert manager.post("/api/partners/999/contacts", json=IVAN).status_code == 404
    assert manager.patch("/api/contacts/999", json={"name": "X"}).status_code == 404


def test_a_secretary_reads_contacts_but_does_not_edit_them(manager, partner, as_role):
    url = f"/api/partners/{partner['id']}/contacts"
    contact = created(manager, url, **IVAN)
    secretary = as_role("secretary")
    assert secretary.get(url).json == [contact]
    assert secretary.post(url, json=IVAN).status_code == 403
    assert secretary.patch(f"/api/contacts/{contact['id']}", json={"name": "X"}).status_code == 403
    assert secretary.delete(f"/api/contacts/{contact['id']}").status_code == 403


def test_contacts_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/partners/1/contacts"),
        ("post", "/api/partners/1/contacts"),
        ("patch", "/api/contacts/1"),
        ("delete", "/api/contacts/1"),
    )
