"""Loyalty cards issued to customers, and their use in orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import ContactPerson, Counterparty
from services.crm.adapters.sales import Order
from services.crm.analytics.adapters.records import LoyaltyCard
from services.crm.analytics.domain import cards as rules
from services.crm.domain.access import require_change
from services.crm.domain.errors import Conflict, Invalid
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import apply, get, paginate, referenced
from services.crm.handlers.ownership import owner_of
from shared.db import utcnow


def list_cards(
    session: Session,
    *,
    page: int,
    page_size: int,
    counterparty_id: int | None = None,
    number: str | None = None,
) -> tuple[list[LoyaltyCard], int]:
    stmt = select(LoyaltyCard).order_by(LoyaltyCard.number)
    if counterparty_id is not None:
        stmt = stmt.where(LoyaltyCard.counterparty_id == counterparty_id)
    if number is not None:
        stmt = stmt.where(LoyaltyCard.number == number)
    return paginate(session, stmt, page, page_size)


def load(session: Session, card_id: int) -> LoyaltyCard:
    return get(session, LoyaltyCard, card_id, "loyalty card")


def issue(session: Session, actor: Actor, fields: dict[str, Any]) -> LoyaltyCard:
    """A card for a counterparty (its manager, their head or an admin issues it)."""
    actor.require(Permission.EDIT_CUSTOMERS)
    holder = referenced(
        session, Counterparty, fields["counterparty_id"], "counterparty_id", "counterparty"
    )
    require_change(actor, owner_of(session, holder.responsible_id), "the counterparty")
    if session.scalar(select(LoyaltyCard.id).where(LoyaltyCard.number == fields["number"])):
        raise Conflict(f"a loyalty card numbered {fields['number']!r} exists")
    card = LoyaltyCard(**fields)
    _check(session, card, holder)
    session.add(card)
    session.flush()
    return card


def change(session: Session, actor: Actor, card_id: int, changes: dict[str, Any]) -> LoyaltyCard:
    """Change the discount, the validity, the holding person, or block the card."""
    actor.require(Permission.EDIT_CUSTOMERS)
    card = get(session, LoyaltyCard, card_id, "loyalty card", lock=True)
    holder = session.get(Counterparty, card.counterparty_id)
    require_change(actor, owner_of(session, holder.responsible_id), "the card's holder")
    apply(card, changes)
    _check(session, card, holder)
    session.flush()
    return card


def _check(session: Session, card: LoyaltyCard, holder: Counterparty) -> None:
    rules.check_validity(card.valid_from, card.valid_to)
    person = referenced(
        session, ContactPerson, card.contact_person_id, "contact_person_id", "contact person"
    )
    if person is not None and person.partner_id != holder.partner_id:
        raise Invalid("contact_person_id", "the person is not a contact of the holder's partner")


def check_for_order(session: Session, order: Order) -> None:
    """The order's card, if any, belongs to its counterparty and is valid today (422)."""
    if order.loyalty_card_id is None:
        return
    card = referenced(
        session, LoyaltyCard, order.loyalty_card_id, "loyalty_card_id", "loyalty card"
    )
    rules.check_usable(
        card_holder_id=card.counterparty_id,
        blocked=card.blocked,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        counterparty_id=order.counterparty_id,
        on=utcnow().date(),
    )
