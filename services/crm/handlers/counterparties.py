"""Counterparties: the legal entities and individuals a partner trades through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, Partner
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers import subjects
from services.crm.handlers.common import referenced, responsible
from shared.config import Settings


def check_tax_id_free(session: Session, tax_id: str | None, own_id: int | None = None) -> None:
    if not tax_id:
        return
    holder = session.scalar(select(Counterparty.id).where(Counterparty.tax_id == tax_id))
    if holder is not None and holder != own_id:
        raise Conflict(f"tax_id {tax_id!r} already belongs to counterparty {holder}")


def create_counterparty(
    session: Session, actor: Actor, fields: dict[str, Any], settings: Settings
) -> Counterparty:
    actor.require(Permission.EDIT_CUSTOMERS)
    status_id = fields.pop("status_id", None)
    referenced(session, Partner, fields["partner_id"], "partner_id", "partner")
    responsible(session, fields.get("responsible_id"))
    check_tax_id_free(session, fields.get("tax_id"))
    counterparty = Counterparty(**fields)
    session.add(counterparty)
    session.flush()
    subjects.registered(
        session, "counterparty", counterparty, {"partner_id": counterparty.partner_id}
    )
    if status_id is not None:
        subjects.assign_status(
            session,
            actor,
            "counterparty",
            counterparty.id,
            status_id,
            "set on registration",
            owner_checked=True,
            settings=settings,
        )
    return counterparty


def update_counterparty(
    session: Session, actor: Actor, counterparty_id: int, changes: dict[str, Any]
) -> Counterparty:
    if "partner_id" in changes:
        referenced(session, Partner, changes["partner_id"], "partner_id", "partner")
    check_tax_id_free(session, changes.get("tax_id"), counterparty_id)
    return subjects.update(session, actor, "counterparty", counterparty_id, changes)
