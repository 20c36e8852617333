"""What the OpenAPI document promises, the API does: headers, bodies, numbers as numbers."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.crm.support import created, field_errors


def spec(app) -> dict:
    return app.test_client().get("/openapi.json").json


def test_a_wrong_method_is_a_405_with_allow_and_the_json_error_body(manager):
    created(manager, "/api/leads", name="Stark")
    r = manager.put("/api/leads/1", json={"name": "X"})
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
    assert r.json["code"] == 405 and r.json["message"]


def test_a_patch_without_a_body_or_with_no_field_is_a_422(manager, app):
    lead = created(manager, "/api/leads", name="Stark")
    bodies: tuple[dict[str, Any], ...] = ({}, {"json": {}})
    for kwargs in bodies:
        assert "_schema" in field_errors(manager.patch(f"/api/leads/{lead['id']}", **kwargs))
    body = spec(app)["paths"]["/api/leads/{subject_id}"]["patch"]["requestBody"]
    assert body["required"] and body["content"]["application/json"]["schema"]["minProperties"] == 1


def test_the_pagination_header_is_documented_as_the_json_text_it_is(manager, app):
    created(manager, "/api/leads", name="Stark")
    r = manager.get("/api/leads")
    assert json.loads(r.headers["X-Pagination"])["total"] == 1
    assert spec(app)["components"]["headers"]["PAGINATION"]["schema"]["type"] == "string"


def test_numeric_bounds_are_written_as_numbers(app):
    price = spec(app)["components"]["schemas"]["Line"]["properties"]["price"]
    assert json.dumps(price).count('"minimum": 0') == 1


def test_reports_document_their_json_answer_beside_csv(app):
    answer = spec(app)["paths"]["/api/analytics/lost"]["get"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/Lost"}
    assert "text/csv" in answer


def test_a_json_number_is_no_boolean(manager):
    lead = created(manager, "/api/leads", name="Stark")
    for value in (0, 1, 1.0):
        r = manager.patch(f"/api/leads/{lead['id']}", json={"archived": value})
        assert "archived" in field_errors(r)
    assert manager.patch(f"/api/leads/{lead['id']}", json={"archived": True}).status_code == 200


def test_answers_declare_the_nulls_they_may_hold_and_decimals_as_the_text_they_are(app):
    schemas = spec(app)["components"]["schemas"]
    lead = schemas["Lead"]["properties"]
    assert lead["counterparty_id"]["nullable"] and lead["status_assigned_at"]["nullable"]
    assert "nullable" not in lead["id"] and "nullable" not in lead["name"]
    assert schemas["Line"]["properties"]["planned_cost"]["type"] == "string"
    number, text = schemas["Line"]["properties"]["price"]["anyOf"]
    assert (number["type"], text["type"]) == ("number", "string")
