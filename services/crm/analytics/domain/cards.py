"""Loyalty cards: who may use one, when, and what it saves."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.crm.domain.errors import Invalid


def check_usable(
    *,
    card_holder_id: int,
    blocked: bool,
    valid_from: date,
    valid_to: date | None,
    counterparty_id: int | None,
    on: date,
    field: str = "loyalty_card_id",
) -> None:
    """A card discounts its holder's orders while it is valid and not blocked (422 otherwise)."""
    if counterparty_id != card_holder_id:
        raise Invalid(field, "the card belongs to another counterparty")
    if blocked:
        raise Invalid(field, "the card is blocked")
    if on < valid_from or (valid_to is not None and on > valid_to):
        raise Invalid(field, f"the card is not valid on {on.isoformat()}")


def discount_of(amount: Decimal, percent: Decimal) -> Decimal:
    """The discount the card gives on ``amount``, to the cent."""
    return (amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check_validity(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise Invalid("valid_to", "must not be before valid_from")
