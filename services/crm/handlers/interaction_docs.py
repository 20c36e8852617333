"""Business interactions a manager records on their own: a call, e-mail, meeting or other.

Participants are contact persons, partners, counterparties and leads; the first lead or
counterparty among them is the interaction's customer, so its card shows it too. "Create
based on": a follow-up interaction, and a deal that keeps the link both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal
from services.crm.adapters.orm import ContactPerson, Counterparty, Employee, Lead, Partner
from services.crm.adapters.work import FULL_TEXT, Interaction
from services.crm.domain.access import SALES, may_read_deal, require_read
from services.crm.domain.errors import Conflict, Forbidden
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import deal_moves, deals, interactions
from services.crm.handlers.cards import owner_of
from services.crm.handlers.common import get, paginate, referenced
from shared.db import utcnow
from shared.i18n import _

PARTICIPANTS = {
    "contact_person": ContactPerson,
    "partner": Partner,
    "counterparty": Counterparty,
    "lead": Lead,
}
KINDS = ("call", "email", "meeting", "other")
DIRECTIONS = ("incoming", "outgoing")


def _sales(actor: Actor) -> None:
    if actor.role not in SALES | {Role.ADMIN}:
        raise Forbidden(_("interactions are recorded by sales staff"))


def record(
    session: Session,
    actor: Actor,
    fields: dict[str, Any],
    policy: deal_moves.StallPolicy | None = None,
) -> Interaction:
    """Log an interaction; one about a deal restarts the deal's quiet-days clock."""
    _sales(actor)
    participants = fields.pop("participants", [])
    for i, p in enumerate(participants):
        referenced(session, PARTICIPANTS[p["kind"]], p["id"], f"participants.{i}.id", p["kind"])
    customer = next((p for p in participants if p["kind"] in ("lead", "counterparty")), None)
    deal = None
    if fields.get("deal_id") is not None:
        deal = deals.load_for_change(session, actor, fields["deal_id"])
    occurred_at = fields.pop("occurred_at", None) or utcnow()
    doc = Interaction(
        kind=fields["kind"],
        direction=fields["direction"],
        topic=fields["subject"],
        content=fields.get("details"),
        participants=participants,
        subject_kind=customer["kind"] if customer else None,
        subject_id=customer["id"] if customer else None,
        responsible_id=actor.id,
        state="completed",
        started_at=occurred_at,
        ended_at=occurred_at,
        deal_id=fields.get("deal_id"),
        follows_id=fields.get("follows_id"),
    )
    session.add(doc)
    session.flush()
    interactions.recorded(session, doc, occurred_at)
    if deal is not None:
        deal_moves.interaction_noticed(
            session, deal, occurred_at, policy or deal_moves.StallPolicy()
        )
    return doc


def load(session: Session, actor: Actor, interaction_id: int) -> Interaction:
    """An interaction its reader may read: their own, their department's, or of a deal they read."""
    doc = get(session, Interaction, interaction_id, "interaction")
    require_read(_readable(session, actor, doc), "interaction", interaction_id)
    return doc


def _readable(session: Session, actor: Actor, doc: Interaction) -> bool:
    if actor.role == Role.ADMIN or doc.responsible_id == actor.id:
        return True
    if doc.deal_id is not None:
        deal = session.get(Deal, doc.deal_id)
        if deal and may_read_deal(actor, owner_of(session, deal.responsible_id)):
            return True
    author = owner_of(session, doc.responsible_id)
    return (
        actor.role in SALES
        and actor.department is not None
        and author.department == actor.department
    )


def follow_up(
    session: Session, actor: Actor, interaction_id: int, fields: dict[str, Any], policy=None
) -> Interaction:
    """A new interaction based on this one: its participants and deal unless others are given."""
    basis = load(session, actor, interaction_id)
    fields.setdefault("participants", list(basis.participants))
    fields.setdefault("deal_id", basis.deal_id)
    fields.setdefault("subject", basis.topic or "")
    return record(session, actor, {**fields, "follows_id": basis.id}, policy)


def open_deal(
    session: Session, actor: Actor, interaction_id: int, fields: dict[str, Any], policy=None
) -> Deal:
    """A deal made from the interaction: the deal names it, and it names the deal."""
    basis = load(session, actor, interaction_id)
    if basis.deal_id is not None:
        raise Conflict(_("the interaction already belongs to a deal"))
    kinds = {p["kind"]: p["id"] for p in reversed(basis.participants)}
    fields.setdefault("counterparty_id", kinds.get("counterparty"))
    fields.setdefault("lead_id", kinds.get("lead") if "counterparty" not in kinds else None)
    fields.setdefault("customer_id", kinds.get("partner"))
    fields.setdefault("contact_person_id", kinds.get("contact_person"))
    deal = deals.open_deal(session, actor, {**fields, "source_interaction_id": basis.id}, policy)
    basis.deal_id = deal.id
    return deal


def list_interactions(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    participant_kind: str | None = None,
    participant_id: int | None = None,
    author_id: int | None = None,
    kind: str | None = None,
    deal_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    q: str | None = None,
) -> tuple[list[Interaction], int]:
    """Interactions newest first; sales staff see their own and their department's."""
    _sales(actor)
    stmt = select(Interaction).where(Interaction.kind != "event")
    if actor.role != Role.ADMIN:
        department = select(Employee.id).where(
            Employee.department == actor.department, Employee.department.is_not(None)
        )
        stmt = stmt.where(
            or_(Interaction.responsible_id == actor.id, Interaction.responsible_id.in_(department))
        )
    if participant_kind is not None:
        wanted = [{"kind": participant_kind, "id": participant_id}]
        stmt = stmt.where(Interaction.participants.contains(wanted))
    if q:
        # The index's own expression, written out, so the planner uses the GIN index.
        stmt = stmt.where(text(f"{FULL_TEXT} @@ plainto_tsquery('simple', :q)").bindparams(q=q))
    for column, value in (
        (Interaction.responsible_id, author_id),
        (Interaction.kind, kind),
        (Interaction.deal_id, deal_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if date_from is not None:
        stmt = stmt.where(Interaction.started_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(Interaction.started_at < date_to)
    return paginate(session, stmt.order_by(Interaction.id.desc()), page, page_size)
