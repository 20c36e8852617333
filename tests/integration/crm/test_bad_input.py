"""Bad input of every kind gets a 4xx that says what is wrong, never a 500."""

import pytest

from tests.integration.crm.support import created

JSON = {"Content-Type": "application/json"}
BIG = 2**31  # one past the largest PostgreSQL integer
LEAD = "/api/leads/1"


@pytest.fixture()
def client(manager):
    """The manager's client, with partner 1, lead 1 and counterparty 1 in place."""
    partner = created(manager, "/api/partners", name="Acme")["id"]
    created(manager, "/api/leads", name="Stark")
    created(manager, "/api/counterparties", name="Acme LLC", kind="individual", partner_id=partner)
    return manager


NOT_JSON = [
    "{not json",
    '{"name": "Stark"',
    b'{"name": "\xff"}',  # not UTF-8
    "[" * 100_000 + "]" * 100_000,  # deeper than the parser goes
]

# (method, url, body, the field the 422 must name)
BAD_BODIES = [
    ("post", "/api/leads", [{"name": "Stark"}], "_schema"),
    ("post", "/api/leads", "Stark", "_schema"),
    ("post", "/api/leads", {"name": 42}, "name"),
    ("post", "/api/leads", {"name": ["Stark"]}, "name"),
    ("post", "/api/leads", {"name": "Stark", "phones": "+1 555 0100"}, "phones"),
    ("post", "/api/leads", {"name": "Stark", "phones": [5550100]}, "phones"),
    ("post", "/api/leads", {"name": "Stark", "emails": {"a": "b"}}, "emails"),
    ("post", "/api/leads", {"name": "Stark", "responsible_id": 1.5}, "responsible_id"),
    ("post", "/api/leads", {"name": "Stark", "responsible_id": True}, "responsible_id"),
    ("post", "/api/leads", {"name": "Stark", "status_id": BIG}, "status_id"),
    ("post", "/api/leads", {"name": "Stark", "status_id": 10**30}, "status_id"),
    ("post", "/api/leads", {"name": "Stark", "status_id": -1}, "status_id"),
    ("post", "/api/leads", {"name": "St\x00ark"}, "name"),
    ("post", "/api/leads", {"name": "Stark", "phones": ["+1\x00"]}, "phones"),
    ("post", "/api/leads", {"name": "x" * 10_000}, "name"),
    ("patch", LEAD, {"archived": "sometimes"}, "archived"),
    ("patch", LEAD, {"responsible_id": "1"}, "responsible_id"),
    ("patch", LEAD, {"note": "\x00"}, "note"),
    ("post", f"{LEAD}/status", {"status_id": "1"}, "status_id"),
    ("post", f"{LEAD}/status", {"status_id": None}, "status_id"),
    ("post", f"{LEAD}/status", {"status_id": BIG}, "status_id"),
    ("post", f"{LEAD}/convert", {"kind": "individual", "partner_id": BIG}, "partner_id"),
    ("post", "/api/counterparties", {"name": "X", "kind": 1, "partner_id": 1}, "kind"),
    (
        "post",
        "/api/counterparties",
        {"name": "X", "kind": "individual", "partner_id": BIG},
        "partner_id",
    ),
    ("patch", "/api/counterparties/1", {"tax_id": 7701234567}, "tax_id"),
    ("post", "/api/partners", {"name": "Acme", "responsible_id": BIG}, "responsible_id"),
    ("post", "/api/partners/1/links", {"related_partner_id": BIG}, "related_partner_id"),
    ("post", "/api/partners/1/contacts", {"name": "Ivan", "emails": ["\x00@x.io"]}, "emails"),
    ("post", "/api/employees/1/tokens", {"label": 7}, "label"),
    ("post", "/api/interaction-statuses", {"name": "X", "sort_order": BIG}, "sort_order"),
    ("post", "/api/refusal-reasons", {"name": "X", "sort_order": -BIG}, "sort_order"),
    (
        "post",
        "/api/interaction-statuses",
        {"name": "X", "call_interval_days": 10**9},
        "call_interval_days",
    ),
]

BAD_QUERIES = [
    ("page_size=1000000", "page_size"),
    ("page_size=0", "page_size"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("status_id=abc", "status_id"),
    ("status_id=1.5", "status_id"),
    (f"responsible_id={BIG}", "responsible_id"),
    ("responsible_id=0", "responsible_id"),
    ("archived=sometimes", "archived"),
    ("q=St%00ark", "q"),
]

NOT_STORED_IDS = [
    "/api/leads/abc",
    "/api/leads/-1",
    "/api/leads/1.5",
    "/api/leads/0",
    f"/api/leads/{BIG}",
    f"/api/leads/{10**30}",
    f"/api/counterparties/{10**30}/status-history",
    f"/api/partners/{10**30}/links",
    f"/api/employees/{10**30}",
    f"/api/interaction-statuses/{10**30}",
]


def test_a_body_that_is_not_json_is_a_400(client):
    answers = [client.post("/api/leads", data=data, headers=JSON).status_code for data in NOT_JSON]
    assert answers == [400] * len(NOT_JSON)


def test_a_wrongly_typed_or_out_of_range_field_is_a_422_naming_it(client):
    wrong = [
        (method, url, body, field, r.status_code, r.json)
        for method, url, body, field in BAD_BODIES
        if (r := getattr(client, method)(url, json=body)).status_code != 422
        or field not in r.json["errors"]["json"]
    ]
    assert wrong == []
    assert len(client.get("/api/leads").json) == 1


def test_a_bad_query_parameter_is_a_422_naming_it(client):
    wrong = [
        (url, query, r.status_code, r.json)
        for url in ("/api/leads", "/api/counterparties")
        for query, field in BAD_QUERIES
        if (r := client.get(f"{url}?{query}")).status_code != 422
        or field not in r.json["errors"]["query"]
    ]
    assert wrong == []


def test_an_id_that_is_not_a_stored_integer_is_a_404(client):
    assert {url: client.get(url).status_code for url in NOT_STORED_IDS} == dict.fromkeys(
        NOT_STORED_IDS, 404
    )


def test_a_page_far_past_the_end_is_empty(client):
    r = client.get(f"/api/leads?page={10**20}")
    assert r.status_code == 200
    assert r.json == []


def test_out_of_range_ids_in_urls_of_changes_are_404(admin, client):
    assert admin.delete(f"/api/employees/{admin.id}/tokens/{10**30}").status_code == 404
    assert client.patch(f"/api/contacts/{10**30}", json={"name": "X"}).status_code == 404
    assert client.delete(f"/api/partners/1/links/{BIG}").status_code == 404
    r = client.post(f"/api/leads/{BIG}/status", json={"status_id": 1})
    assert r.status_code == 404


def test_a_form_or_empty_body_is_read_as_no_fields(client):
    r = client.post("/api/leads", data="name=Stark")
    assert r.status_code == 422
    assert "name" in r.json["errors"]["json"]
    assert "name" in client.post("/api/leads").json["errors"]["json"]


def test_a_wrong_method_is_405_and_an_unknown_path_404(client, anonymous):
    assert client.put(LEAD, json={"name": "X"}).status_code == 405
    assert client.delete(LEAD).status_code == 405
    assert anonymous.get("/api/nothing-here").status_code == 404
