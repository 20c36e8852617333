"""Typed messages generated from the contracts: producers build one, handlers get one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from shared import messages
from shared.contracts import CONTRACTS, ContractError, envelope, parse
from shared.messages import CallCompleted, LeadConverted, handles, message_class

AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_every_contract_has_a_class_with_its_schemas_fields():
    for contract in CONTRACTS.values():
        cls = message_class(contract)
        assert cls.__name__ == f"{contract.type}V{contract.version}"
        assert [f.name for f in dataclasses.fields(cls)] == list(contract.schema._declared_fields)


def test_a_typed_message_travels_as_the_same_envelope_as_its_dict():
    typed = envelope(CallCompleted(subject_kind="lead", subject_id=4, completed_at=AT))
    plain = envelope(
        "CallCompleted",
        {
            "subject_kind": "lead",
            "subject_id": 4,
            "completed_at": AT.isoformat(),
            "task_id": None,
            "outcome": None,
        },
    )
    assert (typed["type"], typed["version"], typed["data"]) == ("CallCompleted", 1, plain["data"])


def test_a_producer_cannot_leave_out_a_required_field_nor_send_a_wrong_value():
    with pytest.raises(TypeError, match="counterparty_id"):
        LeadConverted(lead_id=1, partner_id=3)
    with pytest.raises(ContractError, match="lead_id: Not a valid integer"):
        envelope(LeadConverted(lead_id="one", counterparty_id=2, partner_id=3))


def test_a_handler_declared_for_a_type_gets_the_typed_message_that_arrived():
    received = []

    @handles(LeadConverted)
    def on_converted(session, env, message: LeadConverted) -> None:
        received.append(message)

    env, data = parse(envelope(LeadConverted(lead_id=1, counterparty_id=2, partner_id=3)))
    on_converted(None, env, data)
    assert received == [LeadConverted(lead_id=1, counterparty_id=2, partner_id=3)]
    assert on_converted.handles is LeadConverted


def test_a_type_that_has_no_contract_is_no_message_class():
    with pytest.raises(AttributeError):
        messages.LeadMerged  # noqa: B018
    assert messages.LeadConvertedV1 is LeadConverted
