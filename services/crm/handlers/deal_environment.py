"""A deal's environment (document 004): competitors, subcontractors, influential persons, and
who influences whom; readers of the deal read it, those who may change the deal change it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import DealEnvironmentLink, DealEnvironmentMember
from services.crm.adapters.orm import ContactPerson, Partner
from services.crm.domain.errors import Invalid, NotFound
from services.crm.domain.roles import Actor
from services.crm.handlers import deals
from services.crm.handlers.common import referenced
from shared.i18n import _


def add_member(
    session: Session, actor: Actor, deal_id: int, fields: dict[str, Any]
) -> DealEnvironmentMember:
    """Someone around the deal; named after the partner or contact person unless named."""
    deals.load_for_change(session, actor, deal_id)
    partner = referenced(session, Partner, fields.get("partner_id"), "partner_id", "partner")
    person = referenced(
        session,
        ContactPerson,
        fields.get("contact_person_id"),
        "contact_person_id",
        "contact person",
    )
    if not fields.get("name"):
        named = partner or person
        if named is None:
            raise Invalid("name", _("a name, a partner or a contact person is required"))
        fields["name"] = named.name
    member = DealEnvironmentMember(deal_id=deal_id, **fields)
    session.add(member)
    session.flush()
    return member


def _member(session: Session, deal_id: int, member_id: int, field: str) -> DealEnvironmentMember:
    member = session.get(DealEnvironmentMember, member_id)
    if member is None or member.deal_id != deal_id:
        raise Invalid(field, f"no member {member_id} in this deal's environment")
    return member


def remove_member(session: Session, actor: Actor, deal_id: int, member_id: int) -> None:
    deals.load_for_change(session, actor, deal_id)
    member = session.get(DealEnvironmentMember, member_id)
    if member is None or member.deal_id != deal_id:
        raise NotFound("environment member", member_id)
    session.execute(
        delete(DealEnvironmentLink).where(
            or_(
                DealEnvironmentLink.source_id == member_id,
                DealEnvironmentLink.target_id == member_id,
            )
        )
    )
    session.delete(member)


def link(
    session: Session, actor: Actor, deal_id: int, fields: dict[str, Any]
) -> DealEnvironmentLink:
    """``source`` influences ``target``."""
    deals.load_for_change(session, actor, deal_id)
    _member(session, deal_id, fields["source_id"], "source_id")
    _member(session, deal_id, fields["target_id"], "target_id")
    if fields["source_id"] == fields["target_id"]:
        raise Invalid("target_id", _("a member does not influence itself"))
    link = DealEnvironmentLink(deal_id=deal_id, **fields)
    session.add(link)
    session.flush()
    return link


def environment(session: Session, actor: Actor, deal_id: int) -> dict[str, Any]:
    deals.load(session, actor, deal_id)
    members = session.scalars(
        select(DealEnvironmentMember)
        .where(DealEnvironmentMember.deal_id == deal_id)
        .order_by(DealEnvironmentMember.id)
    ).all()
    links = session.scalars(
        select(DealEnvironmentLink)
        .where(DealEnvironmentLink.deal_id == deal_id)
        .order_by(DealEnvironmentLink.id)
    ).all()
    return {"members": list(members), "links": list(links)}
