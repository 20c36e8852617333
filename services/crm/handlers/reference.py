"""Reference books: interaction statuses and refusal reasons."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Permission
from services.crm.domain.statuses import call_rule_changed
from services.crm.handlers import refusals
from services.crm.handlers.common import apply, get
from shared.messages import InteractionStatusChanged

T = TypeVar("T", bound=InteractionStatus | RefusalReason)

WHAT = {InteractionStatus: "interaction status", RefusalReason: "refusal reason"}


def list_entries(
    session: Session, model: type[T], *, active: bool | None = None, applies_to: str | None = None
) -> list[T]:
    stmt = select(model).order_by(model.sort_order, model.id)
    if active is not None:
        stmt = stmt.where(model.active.is_(active))
    if applies_to is not None and model is InteractionStatus:
        stmt = stmt.where(InteractionStatus.applies_to.in_((applies_to, "both")))
    return list(session.scalars(stmt))


def get_entry(session: Session, model: type[T], entry_id: int, *, lock: bool = False) -> T:
    return get(session, model, entry_id, WHAT[model], lock=lock)


def create_entry(session: Session, actor: Actor, model: type[T], fields: dict[str, Any]) -> T:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _check_unique_name(session, model, fields["name"])
    refusal = model is InteractionStatus and fields.get("is_refusal", False)
    entry = model(**{**fields, "is_refusal": False} if refusal else fields)
    session.add(entry)
    session.flush()
    if isinstance(entry, InteractionStatus):
        if refusal:
            refusals.mark(session, entry)
        _status_changed(session, entry)
    return entry


def update_entry(
    session: Session, actor: Actor, model: type[T], entry_id: int, changes: dict[str, Any]
) -> T:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    entry = get_entry(session, model, entry_id, lock=True)
    if "name" in changes and changes["name"] != entry.name:
        _check_unique_name(session, model, changes["name"])
    if isinstance(entry, InteractionStatus) and changes.get("is_refusal"):
        refusals.mark(session, entry)
    before = apply(entry, changes)
    if isinstance(entry, InteractionStatus):
        after = {name: getattr(entry, name) for name in before}
        if call_rule_changed({**_rule(entry), **before}, {**_rule(entry), **after}):
            # Subjects holding this status get re-planned by the scheduler from this event.
            entry.version += 1
            session.flush()
            _status_changed(session, entry)
    session.flush()
    return entry


def _rule(status: InteractionStatus) -> dict[str, Any]:
    return {
        "generate_calls": status.generate_calls,
        "call_interval_days": status.call_interval_days,
        "active": status.active,
    }


def _check_unique_name(session: Session, model: type[Any], name: str) -> None:
    if session.scalar(select(model.id).where(model.name == name)) is not None:
        raise Conflict(f"name {name!r} is already taken")


def _status_changed(session: Session, status: InteractionStatus) -> None:
    outbox.record(
        session,
        "interaction_status",
        status.id,
        InteractionStatusChanged(
            status_id=status.id,
            name=status.name,
            applies_to=status.applies_to,
            version=status.version,
            **_rule(status),
        ),
    )
