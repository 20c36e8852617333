"""The published spec bounds every value a client may send: no request can store megabytes."""

from __future__ import annotations

from tests.contract.spec_walk import inputs, unbounded


def test_every_string_a_request_carries_has_a_max_length_and_every_list_max_items(app):
    spec = app.test_client().get("/openapi.json").json
    assert sum(1 for _ in inputs(spec)) > 500  # the walk reaches the whole API
    assert unbounded(spec) == []


def test_free_text_is_bounded_at_10000_characters(app):
    spec = app.test_client().get("/openapi.json").json
    lead = spec["components"]["schemas"]["NewLead"]["properties"]
    assert lead["note"]["maxLength"] == 10_000
    assert lead["name"]["maxLength"] == 300
    assert lead["phones"]["maxItems"] == 100
