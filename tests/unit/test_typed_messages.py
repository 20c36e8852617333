"""Typed messages generated from the contracts: producers build one, handlers get one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import fields

from shared import messages
from shared.contracts import (
    CONTRACTS,
    Contract,
    ContractError,
    LeadConvertedV1,
    contract_for,
    envelope,
)
from shared.messages import (
    CallCompleted,
    DealOpened,
    LeadConverted,
    Message,
    WorkingCalendarChanged,
    message_class,
    read,
)

AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_every_contract_has_a_class_with_its_schemas_fields():
    for contract in CONTRACTS.values():
        cls = message_class(contract)
        assert cls.__name__ == f"{contract.type}V{contract.version}"
        assert cls.contract is contract
        assert [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]  # made by make_dataclass at run time == list(contract.schema._declared_fields)
        assert getattr(messages, contract.type) is cls
        assert cls.__name__ in dir(messages)


def test_a_field_is_required_in_the_class_exactly_when_the_contract_requires_it():
    for contract in CONTRACTS.values():
        schema_fields = contract.schema._declared_fields
        # The class is made by make_dataclass at run time: mypy cannot see it is a dataclass.
        for field in dataclasses.fields(message_class(contract)):  # type: ignore[arg-type]
            declared = schema_fields[field.name]
            has_default = field.default is not dataclasses.MISSING or (
                field.default_factory is not dataclasses.MISSING
            )
            assert has_default != declared.required, (contract.type, field.name)
            nullable = "None" in str(field.type)
            assert nullable == bool(declared.allow_none), (contract.type, field.name)


def test_the_classes_say_what_the_contract_says():
    assert "next call is planned" in CallCompleted.__doc__
    hints = {f.name: f.type for f in dataclasses.fields(CallCompleted)}
    assert (hints["completed_at"], hints["task_id"]) == (dt.datetime, int | None)
    assert isinstance(
        CallCompleted.contract.schema._declared_fields["completed_at"], fields.DateTime
    )


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


OPENED = DealOpened(
    deal_id=1,
    kind_id=2,
    customer_id=None,
    responsible_id=3,
    source="website",
    amount=Decimal("1250.50"),
    currency="EUR",
    opened_at=AT,
)
WEEK = {
    "department": None,
    "workdays": ["mon", "tue"],
    "work_start": dt.time(9),
    "work_end": dt.time(18),
    "call_time": None,
}
CALENDAR = WorkingCalendarChanged(
    revision=3,
    default=WEEK,
    departments=[{**WEEK, "department": "North"}],
    holidays=[{"day": dt.date(2026, 12, 31), "department": None, "name": "New Year's Eve"}],
)


@pytest.mark.parametrize("message", [OPENED, CALENDAR], ids=["money", "nested"])
def test_a_message_comes_back_from_the_wire_equal_to_the_one_sent(message):
    sent = envelope(message)
    env, received = read(sent)
    assert received == message
    assert type(received) is type(message)
    assert (env["type"], env["version"]) == (message.contract.type, 1)


def test_money_days_and_times_travel_as_the_strings_the_contract_documents():
    assert envelope(OPENED)["data"]["amount"] == "1250.50"
    data = envelope(CALENDAR)["data"]
    assert data["default"]["work_start"] == "09:00:00"
    assert data["holidays"][0]["day"] == "2026-12-31"


def test_a_producer_cannot_leave_out_a_required_field_nor_send_a_wrong_value():
    with pytest.raises(TypeError, match="counterparty_id"):
        LeadConverted(lead_id=1, partner_id=3)
    with pytest.raises(TypeError, match="lead"):
        LeadConverted(lead=1, counterparty_id=2, partner_id=3)
    with pytest.raises(ContractError, match="lead_id: Not a valid integer"):
        envelope(LeadConverted(lead_id="one", counterparty_id=2, partner_id=3))
    with pytest.raises(ContractError, match="subject_kind: Must be one of"):
        envelope(CallCompleted(subject_kind="partner", subject_id=4, completed_at=AT))


def test_a_received_message_that_breaks_its_contract_is_refused_with_the_field_and_why():
    sent = envelope(LeadConverted(lead_id=1, counterparty_id=2, partner_id=3))
    with pytest.raises(ContractError) as refused:
        read({**sent, "data": {**sent["data"], "partner_id": 0}})
    assert refused.value.reason == "data.partner_id: Must be greater than or equal to 1."
    with pytest.raises(ContractError, match=r"data\.merged_into: Unknown field"):
        read({**sent, "data": {**sent["data"], "merged_into": 7}})


def test_a_consumer_gets_the_class_of_the_version_that_arrived(monkeypatch):
    class LeadConvertedV2(LeadConvertedV1):
        converted_by_id = fields.Integer(strict=True, required=True, allow_none=True)

    v1 = contract_for("LeadConverted")
    v2 = Contract("LeadConverted", 2, LeadConvertedV2, v1.event, v1.subscribers, produced=False)
    monkeypatch.setitem(CONTRACTS, v2.key, v2)
    data = {"lead_id": 1, "counterparty_id": 2, "partner_id": 3, "converted_by_id": 9}
    _env, received = read(envelope("LeadConverted", data, version=2))
    received_fields: Any = received  # fields of a class made at run time
    assert type(received) is messages.LeadConvertedV2
    assert received_fields.converted_by_id == 9
    assert messages.LeadConverted is LeadConverted  # v2 is read, not yet sent


def test_a_type_that_has_no_contract_is_no_message_class():
    with pytest.raises(AttributeError):
        messages.LeadMerged  # noqa: B018
    assert messages.LeadConvertedV1 is LeadConverted
    assert issubclass(LeadConverted, Message)
