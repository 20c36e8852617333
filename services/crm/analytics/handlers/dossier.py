"""The client dossier: everything about a partner in one answer.

Per counterparty: the counterparty as its resource shows it (with its next planned call),
its interaction status and the history of it, the latest orders, interactions and claims, its ABC/XYZ class (from the latest
classification of buyers) and loyalty figures (from the read model). Deals add their
section with :func:`register_section`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, InteractionStatus, Partner, PartnerLink
from services.crm.adapters.sales import Order
from services.crm.adapters.work import Interaction
from services.crm.analytics.adapters.records import (
    Claim,
    ClassificationLine,
    ClassificationRun,
    LoyaltyCard,
)
from services.crm.analytics.adapters.tables import Customer
from services.crm.analytics.domain.classes import DORMANT_MIN_DAYS, going_dormant
from services.crm.analytics.handlers.claims import shown
from services.crm.domain.access import may_read_customer, require_read
from services.crm.domain.orders import line_amount
from services.crm.domain.roles import Actor
from services.crm.handlers import cards, subjects
from services.crm.handlers.cards import owner_of
from services.crm.handlers.common import get
from services.crm.handlers.partners import list_contacts
from shared.db import utcnow

LATEST = 10
Section = Callable[[Session, Actor, Counterparty], Any]


def _status(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any]:
    status = session.get(InteractionStatus, cp.status_id) if cp.status_id else None
    history = subjects.status_history(session, "counterparty", cp.id)
    return {
        "status_id": cp.status_id,
        "name": status.name if status else None,
        "assigned_at": cp.status_assigned_at,
        "relationship_stage": cp.relationship_stage,
        "history": history,
    }


def _orders(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any]:
    mine = Order.counterparty_id == cp.id
    latest = session.scalars(select(Order).where(mine).order_by(Order.id.desc()).limit(LATEST))
    return {
        "count": session.scalar(select(func.count()).where(mine)),
        "latest": [
            {
                "id": order.id,
                "status": order.status,
                "total": sum(
                    (line_amount(li.quantity, li.price) for li in order.lines), Decimal("0.00")
                ),
                "loyalty_card_id": order.loyalty_card_id,
                "posted_at": order.posted_at,
                "routed_at": order.routed_at,
            }
            for order in latest
        ],
    }


def _interactions(session: Session, actor: Actor, cp: Counterparty) -> list[Interaction]:
    """The latest interactions, those with the lead it was converted from included."""
    theirs: ColumnElement[bool] = (Interaction.subject_kind == "counterparty") & (
        Interaction.subject_id == cp.id
    )
    if cp.lead_id is not None:
        theirs = or_(
            theirs, (Interaction.subject_kind == "lead") & (Interaction.subject_id == cp.lead_id)
        )
    stmt = select(Interaction).where(theirs).order_by(Interaction.id.desc()).limit(LATEST)
    return list(session.scalars(stmt))


def _claims(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any]:
    mine = Claim.counterparty_id == cp.id
    latest = select(Claim).where(mine).order_by(Claim.id.desc()).limit(LATEST)
    return {
        "open": session.scalar(select(func.count()).where(mine, Claim.state == "open")),
        "latest": [shown(claim) for claim in session.scalars(latest)],
    }


def _classes(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any] | None:
    """The classes the latest classification of buyers gave the counterparty."""
    found = session.execute(
        select(ClassificationLine, ClassificationRun.finished_at)
        .join(ClassificationRun, ClassificationRun.id == ClassificationLine.run_id)
        .where(
            ClassificationLine.subject_kind == "counterparty",
            ClassificationLine.subject_id == cp.id,
        )
        .order_by(ClassificationLine.run_id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    line, classified_at = found
    return {
        "abc": line.abc_class,
        "xyz": line.xyz_class,
        "stage": line.stage,
        "run_id": line.run_id,
        "classified_at": classified_at,
    }


def _loyalty(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any]:
    figures = session.get(Customer, cp.id)
    cards = session.scalars(select(LoyaltyCard).where(LoyaltyCard.counterparty_id == cp.id))
    result: dict[str, Any] = {"orders": 0, "revenue": Decimal("0.00"), "cards": list(cards)}
    if figures is None:
        return result
    gap = (figures.last_order_at - figures.first_order_at).total_seconds() / 86400
    average_gap = gap / (figures.orders - 1) if figures.orders > 1 else None
    since = (utcnow() - figures.last_order_at).total_seconds() / 86400
    return {
        **result,
        "orders": figures.orders,
        "revenue": figures.revenue,
        "first_order_at": figures.first_order_at,
        "last_order_at": figures.last_order_at,
        "average_gap_days": round(average_gap, 1) if average_gap is not None else None,
        "days_since_last": round(since, 1),
        "going_dormant": going_dormant(figures.orders, average_gap or 0, since, DORMANT_MIN_DAYS),
    }


SECTIONS: dict[str, Section] = {
    "status": _status,
    "orders": _orders,
    "interactions": _interactions,
    "claims": _claims,
    "classes": _classes,
    "loyalty": _loyalty,
}


def register_section(name: str, section: Section) -> None:
    """Add a section to each counterparty of the dossier (deals: open, won, lost)."""
    SECTIONS[name] = section


def dossier(session: Session, actor: Actor, partner_id: int) -> dict[str, Any]:
    """The partner, its contact persons and links, and each of its counterparties in full."""
    partner = get(session, Partner, partner_id, "partner")
    require_read(
        may_read_customer(actor, owner_of(session, partner.responsible_id)), "partner", partner_id
    )
    counterparties = session.scalars(
        select(Counterparty).where(Counterparty.partner_id == partner.id).order_by(Counterparty.id)
    )
    links = session.scalars(
        select(PartnerLink).where(PartnerLink.partner_id == partner.id).order_by(PartnerLink.id)
    )
    return {
        "partner": partner,
        "contacts": list_contacts(session, partner.id),
        "links": list(links),
        "counterparties": [
            {
                "counterparty": cards.shown(session, "counterparty", cp),
                **{name: section(session, actor, cp) for name, section in SECTIONS.items()},
            }
            for cp in counterparties
        ],
    }
