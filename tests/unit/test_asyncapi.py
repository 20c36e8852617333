"""The AsyncAPI document of the messages: valid AsyncAPI 3.0, complete, and true to the code."""

from __future__ import annotations

import ast
import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.asyncapi import EVENTS, QUEUES, document, message_name
from shared.contracts import CONTRACTS, envelope
from tests.asyncapi_check import envelope_errors, spec_errors

ROOT = Path(__file__).resolve().parents[2]
ACTOR_MODULES = {q: ROOT / f"services/{q}/entrypoints/actors.py" for q in QUEUES}


@pytest.fixture(scope="module")
def doc():
    return document("crm.events", "amqp://user:pw-0x5eed@rabbit.example:5673/crm")


def test_the_document_is_valid_against_the_official_asyncapi_3_schema(doc):
    assert spec_errors(doc) == []


def test_the_official_schema_refuses_a_broken_document(doc):
    broken = copy.deepcopy(doc)
    del broken["operations"]["crm_receives"]["action"]
    broken["channels"][EVENTS]["bindings"]["amqp"]["is"] = "exchange"
    assert len(spec_errors(broken)) >= 2


def test_every_contract_is_a_message_named_with_its_version_and_every_event_is_on_the_exchange(
    doc,
):
    messages = doc["components"]["messages"]
    for contract in CONTRACTS.values():
        name = message_name(contract)
        assert messages[name]["title"] == f"{contract.type} v{contract.version}"
        assert messages[name]["payload"]["properties"]["version"]["const"] == contract.version
        assert (name in doc["channels"][EVENTS]["messages"]) == bool(contract.event)
        for queue in contract.subscribers:
            assert name in doc["channels"][queue]["messages"], (name, queue)


def test_every_reference_in_the_document_resolves(doc):
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(doc):
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]  # KeyError names the dangling reference
        assert isinstance(target, dict), ref


def test_each_queue_receives_exactly_the_types_its_worker_handles(doc):
    for queue, module in ACTOR_MODULES.items():
        handled = _handled_types(module)
        documented = {
            name.rsplit("V", 1)[0]
            for name in doc["operations"][f"{queue}_receives"]["messages"]
            for name in [name["$ref"].rsplit("/", 1)[-1]]
        }
        assert documented == handled, queue


def test_the_server_names_the_broker_without_its_credentials(doc):
    server = doc["servers"]["rabbitmq"]
    assert server["host"] == "rabbit.example:5673"
    assert server["pathname"] == "/crm"
    assert "pw-0x5eed" not in str(doc)


def test_an_envelope_the_contracts_accept_matches_its_message_and_a_wrong_one_does_not(doc):
    at = datetime(2026, 11, 29, 9, 0, tzinfo=UTC).isoformat()
    good = envelope(
        "OrderPosted",
        {
            "order_id": 7,
            "process_id": None,
            "counterparty_id": 3,
            "requires_approval": False,
            "total": "1250.50",
            "posted_at": at,
        },
    )
    assert envelope_errors(doc, good, "order.posted") == []

    wrong = copy.deepcopy(good)
    wrong["data"].update(total=1250.5, order_id="7", posted_at="2026-11-29T09:00:00", extra=1)
    errors = " ".join(envelope_errors(doc, wrong, "order.approved"))
    for reason in (
        "total",
        "order_id",
        "posted_at",
        "undocumented fields ['extra']",
        "routing key",
    ):
        assert reason in errors


def test_a_published_field_may_be_added_within_a_version_so_the_schemas_stay_open(doc):
    data = doc["components"]["schemas"]["StatusAssignedV1"]
    assert "additionalProperties" not in data
    assert "responsible_department" not in data["required"]  # added later, with a default


def _handled_types(actors: Path) -> set[str]:
    """The keys of the ``HANDLERS`` dict literal of a service's actors module."""
    for node in ast.walk(ast.parse(actors.read_text())):
        # ``HANDLERS: dict[str, Handler] = {...}``
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "HANDLERS":
            assert isinstance(node.value, ast.Dict)
            return {str(key.value) for key in node.value.keys if isinstance(key, ast.Constant)}
    raise AssertionError(f"no HANDLERS in {actors}")
