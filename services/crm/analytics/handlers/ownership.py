"""Owners of customers' records, as the ownership rule (services/crm/domain/access.py) sees them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, Employee
from services.crm.domain.access import Owner, may_read_customer, require_read
from services.crm.domain.roles import Actor


def owner(session: Session, responsible_id: int | None) -> Owner:
    """The record's responsible manager and that manager's department."""
    manager = session.get(Employee, responsible_id) if responsible_id else None
    return Owner(responsible_id, manager.department if manager else None)


def readable_counterparty(session: Session, actor: Actor, counterparty: Counterparty) -> None:
    """NotFound unless ``actor`` may read the customer (its existence is not disclosed)."""
    allowed = may_read_customer(actor, owner(session, counterparty.responsible_id))
    require_read(allowed, "counterparty", counterparty.id)
