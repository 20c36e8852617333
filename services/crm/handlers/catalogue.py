"""Reference data orders need: the items sold (with who fulfils them) and clients' contracts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty
from services.crm.adapters.sales import Contract, Item
from services.crm.analytics.adapters.records import ItemGroup
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import apply, get, paginate, referenced, responsible


def list_items(
    session: Session, *, page: int, page_size: int, active: bool | None = None
) -> tuple[list[Item], int]:
    stmt = select(Item).order_by(Item.name)
    if active is not None:
        stmt = stmt.where(Item.active.is_(active))
    return paginate(session, stmt, page, page_size)


def create_item(session: Session, actor: Actor, fields: dict[str, Any]) -> Item:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _check_item(session, fields)
    item = Item(**fields)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, actor: Actor, item_id: int, changes: dict[str, Any]) -> Item:
    """Edit an item, e.g. put it in an item group; orders already made keep their lines."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    item = get(session, Item, item_id, "item", lock=True)
    _check_item(session, changes, item.id)
    apply(item, changes)
    session.flush()
    return item


def _check_item(session: Session, fields: dict[str, Any], item_id: int = 0) -> None:
    responsible(session, fields.get("responsible_id"))
    referenced(session, ItemGroup, fields.get("group_id"), "group_id", "item group")
    same_name = select(Item.id).where(Item.name == fields.get("name"), Item.id != item_id)
    if "name" in fields and session.scalar(same_name) is not None:
        raise Conflict(f"an item named {fields['name']!r} exists")


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
