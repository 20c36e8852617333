"""Two versions of one message type side by side, as docs/messages.md introduces a v2."""

from __future__ import annotations

from dataclasses import replace

import pytest
from marshmallow import fields

from shared.asyncapi import document
from shared.contracts import (
    CONTRACTS,
    Contract,
    ContractError,
    LeadConvertedV1,
    contract_for,
    envelope,
    parse,
)
from tests.asyncapi_check import envelope_errors, spec_errors


class LeadConvertedV2(LeadConvertedV1):
    """v2 renames nothing but requires a field v1 did not have: a new version, not an edit."""

    converted_by_id = fields.Integer(strict=True, required=True, allow_none=True)


V1 = {"lead_id": 1, "counterparty_id": 2, "partner_id": 3}
V2 = {**V1, "converted_by_id": 9}


@pytest.fixture()
def v2(monkeypatch):
    """LeadConverted v2 registered beside v1, read by consumers, not yet sent."""
    v1 = contract_for("LeadConverted")
    contract = Contract(
        "LeadConverted", 2, LeadConvertedV2, v1.event, v1.subscribers, produced=False
    )
    monkeypatch.setitem(CONTRACTS, contract.key, contract)
    return contract


def test_every_contract_is_registered_under_its_type_and_version():
    assert all(key == (c.type, c.version) for key, c in CONTRACTS.items())


def test_consumers_read_both_versions_while_producers_still_send_v1(v2):
    assert envelope("LeadConverted", V1)["version"] == 1
    env, data = parse(envelope("LeadConverted", V2, version=2))
    assert (env["version"], data["converted_by_id"]) == (2, 9)
    assert parse(envelope("LeadConverted", V1))[1] == V1
    with pytest.raises(ContractError, match="converted_by_id"):
        parse({**envelope("LeadConverted", V1), "version": 2})


def test_producers_send_v2_once_it_is_produced_and_v1_is_still_read(v2, monkeypatch):
    monkeypatch.setitem(CONTRACTS, v2.key, replace(v2, produced=True))
    assert envelope("LeadConverted", V2)["version"] == 2
    with pytest.raises(ContractError, match="converted_by_id"):
        envelope("LeadConverted", V1)
    assert parse(envelope("LeadConverted", V1, version=1))[1] == V1


def test_an_unsupported_version_is_refused_with_the_versions_supported(v2):
    with pytest.raises(ContractError) as refused:
        parse({**envelope("LeadConverted", V1), "version": 3})
    assert (
        refused.value.reason
        == "version: LeadConverted version 3 is not supported (supported: 1, 2)"
    )
    with pytest.raises(ContractError, match="unknown message type 'LeadMerged'"):
        contract_for("LeadMerged")


def test_the_document_shows_both_versions_and_each_envelope_matches_its_own(v2):
    doc = document()
    assert spec_errors(doc) == []
    events = doc["channels"]["events"]["messages"]
    assert {"LeadConvertedV1", "LeadConvertedV2"} <= set(events)
    assert "not send it yet" in doc["components"]["messages"]["LeadConvertedV2"]["description"]
    assert envelope_errors(doc, envelope("LeadConverted", V2, version=2), "lead.converted") == []
    wrong = {**envelope("LeadConverted", V1), "version": 2}
    assert envelope_errors(doc, wrong, "lead.converted") != []
