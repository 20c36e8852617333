"""Reference data orders need: the items sold (with who fulfils them) and clients' contracts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty
from services.crm.adapters.sales import Contract, Item
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import paginate, referenced, responsible


def list_items(
    session: Session, *, page: int, page_size: int, active: bool | None = None
) -> tuple[list[Item], int]:
    stmt = select(Item).order_by(Item.name)
    if active is not None:
        stmt = stmt.where(Item.active.is_(active))
    return paginate(session, stmt, page, page_size)


def create_item(session: Session, actor: Actor, fields: dict[str, Any]) -> Item:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    responsible(session, fields.get("responsible_id"))
    if session.scalar(select(Item.id).where(Item.name == fields["name"])) is not None:
        raise Conflict(f"an item named {fields['name']!r} exists")
    item = Item(**fields)
    session.add(item)
    session.flush()
    return item


def list_contracts(
    session: Session, *, page: int, page_size: int, counterparty_id: int | None = None
) -> tuple[list[Contract], int]:
    stmt = select(Contract).order_by(Contract.id)
    if counterparty_id is not None:
        stmt = stmt.where(Contract.counterparty_id == counterparty_id)
    return paginate(session, stmt, page, page_size)


def create_contract(session: Session, actor: Actor, fields: dict[str, Any]) -> Contract:
    actor.require(Permission.EDIT_CUSTOMERS)
    referenced(session, Counterparty, fields["counterparty_id"], "counterparty_id", "counterparty")
    duplicate = select(Contract.id).where(
        Contract.counterparty_id == fields["counterparty_id"], Contract.number == fields["number"]
    )
    if session.scalar(duplicate) is not None:
        raise Conflict(f"contract {fields['number']!r} of this counterparty exists")
    contract = Contract(**fields)
    session.add(contract)
    session.flush()
    return contract
