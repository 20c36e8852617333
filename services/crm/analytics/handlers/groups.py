"""Item groups: the reference book the BCG matrix is drawn by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.analytics.adapters.records import ItemGroup
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import get, paginate


def list_groups(session: Session, *, page: int, page_size: int) -> tuple[list[ItemGroup], int]:
    return paginate(session, select(ItemGroup).order_by(ItemGroup.name), page, page_size)


def load(session: Session, group_id: int) -> ItemGroup:
    return get(session, ItemGroup, group_id, "item group")


def save(
    session: Session, actor: Actor, fields: dict[str, Any], group_id: int | None = None
) -> ItemGroup:
    """Create a group, or rename one; names are unique."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    same_name = select(ItemGroup.id).where(
        ItemGroup.name == fields["name"], ItemGroup.id != (group_id or 0)
    )
    if session.scalar(same_name) is not None:
        raise Conflict(f"an item group named {fields['name']!r} exists")
    group = ItemGroup() if group_id is None else get(session, ItemGroup, group_id, "item group")
    group.name = fields["name"]
    session.add(group)
    session.flush()
    return group
