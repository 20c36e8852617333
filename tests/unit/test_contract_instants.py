"""Messages carry instants of this century only: anything else is refused as a contract error."""

from __future__ import annotations

import pytest

from shared.contracts import ContractError, envelope, parse

REMINDER = {
    "reminder_id": 1,
    "recipient_id": 2,
    "text": "call back",
    "remind_at": "2030-01-01T09:00:00+00:00",
    "basis_kind": None,
    "basis_id": None,
}


def _with(field: str, value: object) -> dict:
    message = envelope("ReminderScheduled", dict(REMINDER))
    message["data"][field] = value
    return message


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59+00:00"],
)
def test_an_instant_outside_2000_to_2100_is_a_contract_error_naming_it(moment):
    with pytest.raises(ContractError, match=r"data\.remind_at: Must lie between 2000-01-01"):
        parse(_with("remind_at", moment))


def test_an_envelope_stamped_outside_the_window_is_refused_too():
    message = _with("remind_at", REMINDER["remind_at"])
    message["occurred_at"] = "0001-01-01T00:00:00+00:00"
    with pytest.raises(ContractError, match="occurred_at"):
        parse(message)


def test_instants_inside_the_window_are_read():
    _, data = parse(_with("remind_at", "2099-12-31T23:59:59+00:00"))
    assert data["remind_at"].year == 2099
