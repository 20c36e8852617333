"""Links between partners (a holding and its subsidiaries, resellers...)."""

import pytest

from tests.integration.crm.support import assert_all_unauthorized, created, field_errors


@pytest.fixture()
def acme(manager):
    return created(manager, "/api/partners", name="Acme")["id"]


@pytest.fixture()
def globex(manager):
    return created(manager, "/api/partners", name="Globex")["id"]


def links(client, partner_id):
    r = client.get(f"/api/partners/{partner_id}/links")
    assert r.status_code == 200
    return r.json


def test_a_link_is_listed_from_both_partners(manager, acme, globex):
    link = created(manager, f"/api/partners/{acme}/links", related_partner_id=globex, kind="owns")
    assert link == {**link, "partner_id": acme, "related_partner_id": globex, "kind": "owns"}
    assert links(manager, acme) == [link]
    assert links(manager, globex) == [link]


def test_a_partner_cannot_be_linked_to_itself(manager, acme):
    r = manager.post(f"/api/partners/{acme}/links", json={"related_partner_id": acme})
    assert "related_partner_id" in field_errors(r)


def test_linking_to_an_unknown_partner_is_refused(manager, acme):
    r = manager.post(f"/api/partners/{acme}/links", json={"related_partner_id": 999})
    assert "related_partner_id" in field_errors(r)
    r = manager.post("/api/partners/999/links", json={"related_partner_id": acme})
    assert r.status_code == 404


def test_linking_the_same_pair_twice_in_either_direction_is_a_conflict(manager, acme, globex):
    created(manager, f"/api/partners/{acme}/links", related_partner_id=globex)
    again = manager.post(f"/api/partners/{acme}/links", json={"related_partner_id": globex})
    assert again.status_code == 409
    back = manager.post(f"/api/partners/{globex}/links", json={"related_partner_id": acme})
    assert back.status_code == 409


def test_a_removed_link_is_gone_from_both_partners(manager, acme, globex):
    link = created(manager, f"/api/partners/{acme}/links", related_partner_id=globex)
    r = manager.delete(f"/api/partners/{globex}/links/{link['id']}")
    assert r.status_code == 204
    assert links(manager, acme) == links(manager, globex) == []
    assert manager.delete(f"/api/partners/{acme}/links/{link['id']}").status_code == 404


def test_a_link_cannot_be_removed_through_an_unrelated_partner(manager, acme, globex):
    link = created(manager, f"/api/partners/{acme}/links", related_partner_id=globex)
    initech = created(manager, "/api/partners", name="Initech")["id"]
    assert manager.delete(f"/api/partners/{initech}/links/{link['id']}").status_code == 404
    assert links(manager, acme) == [link]


def test_an_executor_reads_links_but_does_not_change_them(manager, as_role, acme, globex):
    link = created(manager, f"/api/partners/{acme}/links", related_partner_id=globex)
    executor = as_role("executor")
    assert links(executor, acme) == [link]
    url = f"/api/partners/{acme}/links"
    assert executor.post(url, json={"related_partner_id": globex}).status_code == 403
    assert executor.delete(f"{url}/{link['id']}").status_code == 403


def test_links_need_a_valid_token(unauthenticated):
    assert_all_unauthorized(
        unauthenticated,
        ("get", "/api/partners/1/links"),
        ("post", "/api/partners/1/links"),
        ("delete", "/api/partners/1/links/1"),
    )
