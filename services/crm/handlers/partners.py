"""Partners (the business side of a customer), their contact persons and links between them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import ContactPerson, Partner, PartnerLink
from services.crm.domain.errors import Conflict, Invalid, NotFound
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers import ownership, phones
from services.crm.handlers.common import apply, get, paginate, responsible
from shared.messages import PartnerChanged


def list_partners(
    session: Session,
    *,
    page: int,
    page_size: int,
    q: str | None = None,
    responsible_id: int | None = None,
) -> tuple[list[Partner], int]:
    stmt = select(Partner).order_by(Partner.id.desc())
    if q:
        stmt = stmt.where(Partner.name.icontains(q, autoescape=True))
    if responsible_id is not None:
        stmt = stmt.where(Partner.responsible_id == responsible_id)
    return paginate(session, stmt, page, page_size)


def create_partner(session: Session, actor: Actor, fields: dict[str, Any]) -> Partner:
    actor.require(Permission.EDIT_CUSTOMERS)
    responsible(session, fields.get("responsible_id"))
    partner = Partner(**fields)
    session.add(partner)
    session.flush()
    changed(session, partner, "created")
    return partner


def update_partner(
    session: Session, actor: Actor, partner_id: int, changes: dict[str, Any]
) -> Partner:
    actor.require(Permission.EDIT_CUSTOMERS)
    ownership.require_change_of(session, actor, "partner", partner_id)
    partner = get(session, Partner, partner_id, "partner", lock=True)
    if "responsible_id" in changes:
        responsible(session, changes["responsible_id"])
    apply(partner, changes)
    session.flush()
    changed(session, partner, "updated")
    return partner


def changed(session: Session, partner: Partner | int, change: str) -> None:
    """Publish ``PartnerChanged``: the partner itself, its contacts or its links changed."""
    if isinstance(partner, int):
        partner = session.get(Partner, partner)
    outbox.record(
        session,
        "partner",
        partner.id,
        PartnerChanged(
            partner_id=partner.id,
            name=partner.name,
            responsible_id=partner.responsible_id,
            change=change,
        ),
    )


def list_contacts(session: Session, partner_id: int) -> list[ContactPerson]:
    get(session, Partner, partner_id, "partner")
    stmt = (
        select(ContactPerson)
        .where(ContactPerson.partner_id == partner_id)
        .order_by(ContactPerson.id)
    )
    return list(session.scalars(stmt))


def add_contact(
    session: Session, actor: Actor, partner_id: int, fields: dict[str, Any], region: str
) -> ContactPerson:
    """A partner's new contact person; ``region`` is the one of numbers without a country code."""
    actor.require(Permission.EDIT_CUSTOMERS)
    ownership.require_change_of(session, actor, "partner", partner_id)
    contact = ContactPerson(partner_id=partner_id, **fields)
    session.add(contact)
    session.flush()
    phones.index(session, "contact_person", contact.id, contact.phones, region)
    changed(session, partner_id, "contacts")
    return contact


def update_contact(
    session: Session, actor: Actor, contact_id: int, changes: dict[str, Any], region: str
) -> ContactPerson:
    actor.require(Permission.EDIT_CUSTOMERS)
    contact = get(session, ContactPerson, contact_id, "contact person", lock=True)
    ownership.require_change_of(session, actor, "partner", contact.partner_id)
    apply(contact, changes)
    session.flush()
    phones.index(session, "contact_person", contact.id, contact.phones, region)
    changed(session, contact.partner_id, "contacts")
    return contact


def delete_contact(session: Session, actor: Actor, contact_id: int) -> None:
    actor.require(Permission.EDIT_CUSTOMERS)
    contact = get(session, ContactPerson, contact_id, "contact person")
    ownership.require_change_of(session, actor, "partner", contact.partner_id)
    phones.forget(session, "contact_person", contact.id)
    changed(session, contact.partner_id, "contacts")
    session.delete(contact)


def list_links(session: Session, partner_id: int) -> list[PartnerLink]:
    """Links in both directions: the partner's own and those pointing at it."""
    get(session, Partner, partner_id, "partner")
    stmt = (
        select(PartnerLink)
        .where(
            or_(PartnerLink.partner_id == partner_id, PartnerLink.related_partner_id == partner_id)
        )
        .order_by(PartnerLink.id)
    )
    return list(session.scalars(stmt))


def link_partners(
    session: Session, actor: Actor, partner_id: int, related_id: int, kind: str
) -> PartnerLink:
    actor.require(Permission.EDIT_CUSTOMERS)
    ownership.require_change_of(session, actor, "partner", partner_id)
    if related_id == partner_id:
        raise Invalid("related_partner_id", "a partner cannot be linked to itself")
    if session.get(Partner, related_id) is None:
        raise Invalid("related_partner_id", f"no partner with id {related_id}")
    pair = (
        (PartnerLink.partner_id == partner_id) & (PartnerLink.related_partner_id == related_id)
    ) | ((PartnerLink.partner_id == related_id) & (PartnerLink.related_partner_id == partner_id))
    if session.scalar(select(PartnerLink.id).where(pair)) is not None:
        raise Conflict(f"partners {partner_id} and {related_id} are already linked")
    link = PartnerLink(partner_id=partner_id, related_partner_id=related_id, kind=kind)
    session.add(link)
    session.flush()
    changed(session, partner_id, "links")
    return link


def unlink(session: Session, actor: Actor, partner_id: int, link_id: int) -> None:
    actor.require(Permission.EDIT_CUSTOMERS)
    ownership.require_change_of(session, actor, "partner", partner_id)
    link = get(session, PartnerLink, link_id, "partner link")
    if partner_id not in (link.partner_id, link.related_partner_id):
        raise NotFound("partner link", link_id)
    session.delete(link)
    changed(session, partner_id, "links")
