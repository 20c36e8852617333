"""Leads: registering a potential customer and converting it into a partner and counterparty."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import Counterparty, InteractionStatus, Lead, Partner
from services.crm.domain.roles import Actor, Permission
from services.crm.domain.statuses import check_carried_over
from services.crm.handlers import deals, phones, subjects
from services.crm.handlers.common import referenced, responsible
from services.crm.handlers.counterparties import check_tax_id_free
from shared.config import Settings
from shared.db import utcnow
from shared.messages import LeadConverted


def create_lead(session: Session, actor: Actor, fields: dict[str, Any], settings: Settings) -> Lead:
    actor.require(Permission.REGISTER_LEADS)
    status_id = fields.pop("status_id", None)
    responsible(session, fields.get("responsible_id"))
    lead = Lead(**fields)
    session.add(lead)
    session.flush()
    phones.index(session, "lead", lead.id, lead.phones, settings.phone_region)
    subjects.registered(session, "lead", lead, {"source": lead.source})
    if status_id is not None:
        subjects.assign_status(
            session,
            actor,
            "lead",
            lead.id,
            status_id,
            "set on registration",
            owner_checked=True,
            settings=settings,
        )
    return lead


def update_lead(
    session: Session, actor: Actor, lead_id: int, changes: dict[str, Any], settings: Settings
) -> Lead:
    lead = subjects.update(session, actor, "lead", lead_id, changes)
    if "phones" in changes:
        phones.index(session, "lead", lead.id, lead.phones, settings.phone_region)
    return lead


def convert_lead(
    session: Session, actor: Actor, lead_id: int, fields: dict[str, Any]
) -> Counterparty:
    """Turn a lead into a counterparty (of an existing or a new partner), keeping its history.

    The counterparty takes over the lead's name, manager and status; the lead is kept,
    marked converted, and points to the counterparty.
    """
    actor.require(Permission.EDIT_CUSTOMERS)
    lead = subjects.load_for_change(session, "lead", lead_id, actor)
    if lead.status_id is not None:
        check_carried_over(subjects.rule_of(session.get_one(InteractionStatus, lead.status_id)))
    check_tax_id_free(session, fields.get("tax_id"))
    partner = referenced(session, Partner, fields.get("partner_id"), "partner_id", "partner")
    if partner is None:
        partner = Partner(
            name=fields.get("partner_name") or lead.name, responsible_id=lead.responsible_id
        )
        session.add(partner)
        session.flush()
    counterparty = Counterparty(
        name=fields.get("name") or lead.name,
        kind=fields["kind"],
        tax_id=fields.get("tax_id"),
        partner_id=partner.id,
        responsible_id=lead.responsible_id,
        status_id=lead.status_id,
        status_assigned_at=lead.status_assigned_at,
        lead_id=lead.id,
    )
    session.add(counterparty)
    session.flush()
    lead.counterparty_id = counterparty.id
    lead.converted_at = utcnow()
    lead.archived = True
    deals.lead_converted(session, lead.id, counterparty.id, partner.id)
    subjects.registered(session, "counterparty", counterparty, {"partner_id": partner.id})
    outbox.record(
        session,
        "lead",
        lead.id,
        LeadConverted(lead_id=lead.id, counterparty_id=counterparty.id, partner_id=partner.id),
    )
    session.flush()
    return counterparty
