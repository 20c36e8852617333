"""Deals: opened, edited, read and listed under the ownership rule of services/crm/domain/access.py.

A manager, the head of their department or an admin changes a deal; the other sales staff of
the department read it; anyone else gets a 404, as if there were none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.deals import (
    Deal,
    DealDemandLine,
    DealFile,
    DealKind,
    DealParty,
    DealStage,
)
from services.crm.adapters.orm import ContactPerson, Counterparty, Employee, Lead, Partner
from services.crm.adapters.sales import Item, ProcessInstance
from services.crm.adapters.work import Interaction
from services.crm.analytics.handlers import deal_recorder
from services.crm.analytics.handlers.win_probability import win_probability
from services.crm.domain import deals as rules
from services.crm.domain.access import SALES, may_read_deal, require_change, require_read
from services.crm.domain.errors import Conflict, Forbidden, Invalid
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import files
from services.crm.handlers.cards import owner_of
from services.crm.handlers.common import get, paginate, referenced, responsible
from shared.i18n import _
from shared.messages import DealOpened

PARTY_MODELS = {"counterparty": Counterparty, "contact_person": ContactPerson}


def open_deal(session: Session, actor: Actor, fields: dict[str, Any], policy=None) -> Deal:
    """A new deal of a kind, in progress; in the manual mode it stands in the first stage at once,
    in the business-process mode it waits for posting (services/crm/handlers/deal_moves.start)."""
    from services.crm.handlers import deal_moves

    if actor.role not in SALES | {Role.ADMIN}:
        raise Forbidden(_("deals are opened by sales staff"))
    kind = referenced(session, DealKind, fields["kind_id"], "kind_id", "deal kind")
    if not kind.active:
        raise Invalid("kind_id", f"deal kind {kind.id} is retired")
    _customer_and_source(session, fields)
    fields.setdefault("responsible_id", actor.id)
    responsible(session, fields["responsible_id"])
    require_change(actor, owner_of(session, fields["responsible_id"]), "the deal")
    parties, lines = fields.pop("parties", []), fields.pop("demand", [])
    _check_refs(session, fields)
    fields["amount_manual"] = fields.get("amount") is not None
    deal = Deal(created_by_id=actor.id, state=rules.IN_PROGRESS, **fields)
    session.add(deal)
    session.flush()
    _replace_parties(session, deal, parties)
    _replace_lines(session, deal, lines)
    _link_process(session, deal)
    outbox.record(
        session,
        "deal",
        deal.id,
        DealOpened(
            deal_id=deal.id,
            kind_id=deal.kind_id,
            customer_id=deal.customer_id,
            responsible_id=deal.responsible_id,
            source=deal.source,
            amount=deal.amount,
            currency=deal.currency,
            opened_at=deal.created_at,
        ),
    )
    if kind.mode == rules.MANUAL:
        deal_moves.enter_first_stage(session, actor, deal, policy)
    return deal


def _customer_and_source(session: Session, fields: dict[str, Any]) -> None:
    """Where the deal comes from, and its customer: given, or the counterparty's (the lead's) partner."""
    lead = referenced(session, Lead, fields.get("lead_id"), "lead_id", "lead")
    if lead is not None and fields.get("counterparty_id") is None:
        fields["counterparty_id"] = lead.counterparty_id
    counterparty = referenced(
        session, Counterparty, fields.get("counterparty_id"), "counterparty_id", "counterparty"
    )
    if fields.get("customer_id") is None and counterparty is not None:
        fields["customer_id"] = counterparty.partner_id
    if fields.get("customer_id") is None and lead is None:
        raise Invalid("customer_id", _("a customer, a counterparty or a lead is required"))
    referenced(session, Partner, fields.get("customer_id"), "customer_id", "partner")
    process = referenced(
        session, ProcessInstance, fields.get("process_id"), "process_id", "process"
    )
    if process is not None:
        fields["source"] = "process"
    elif fields.get("source_interaction_id") is not None:
        fields["source"] = "interaction"
    elif lead is not None:
        fields["source"] = "lead"
    elif counterparty is not None:
        fields["source"] = "counterparty"


def _link_process(session: Session, deal: Deal) -> None:
    """The inbound process's documents (first contact, proposal, meeting) link to the deal."""
    if deal.process_id is None:
        return
    session.execute(
        update(Interaction)
        .where(Interaction.process_id == deal.process_id, Interaction.deal_id.is_(None))
        .values(deal_id=deal.id)
        .execution_options(synchronize_session=False)
    )


def lead_converted(session: Session, lead_id: int, counterparty_id: int, partner_id: int) -> None:
    """The lead's deals carry on with the counterparty and partner it became."""
    session.execute(
        update(Deal)
        .where(Deal.lead_id == lead_id, Deal.counterparty_id.is_(None))
        .values(
            counterparty_id=counterparty_id, customer_id=func.coalesce(Deal.customer_id, partner_id)
        )
        .execution_options(synchronize_session=False)
    )


def update_deal(session: Session, actor: Actor, deal_id: int, changes: dict[str, Any]) -> Deal:
    """Edit a deal in progress; ``amount: null`` lets the amount follow the demand lines again."""
    deal = load_for_change(session, actor, deal_id)
    if deal.state != rules.IN_PROGRESS:
        raise Conflict(_("the deal is closed"))
    stood = deal_recorder.standing(session, deal)
    if "responsible_id" in changes:
        responsible(session, changes["responsible_id"])
    _check_refs(session, changes)
    if "amount" in changes:
        deal.amount_manual = changes["amount"] is not None
        if changes["amount"] is None:
            changes.pop("amount")
    if "parties" in changes:
        _replace_parties(session, deal, changes.pop("parties"))
    if "demand" in changes:
        _replace_lines(session, deal, changes.pop("demand"))
    for name, value in changes.items():
        setattr(deal, name, value)
    _follow_lines(session, deal)
    session.flush()
    # Given to another manager, another amount or month: the open deals' rows follow.
    deal_recorder.restand(session, stood, deal)
    return deal


def _check_refs(session: Session, fields: dict[str, Any]) -> None:
    for field, model, what in (
        ("contact_person_id", ContactPerson, "contact person"),
        ("counterparty_id", Counterparty, "counterparty"),
        ("competitor_id", Partner, "partner"),
    ):
        if fields.get(field) is not None:
            referenced(session, model, fields[field], field, what)


def _replace_parties(session: Session, deal: Deal, parties: list[dict[str, Any]]) -> None:
    session.execute(delete(DealParty).where(DealParty.deal_id == deal.id))
    seen = set()
    for i, party in enumerate(parties):
        key = (party["party_kind"], party["party_id"])
        if key in seen:
            raise Invalid(f"parties.{i}", _("named twice"))
        seen.add(key)
        model = PARTY_MODELS[party["party_kind"]]
        referenced(session, model, party["party_id"], f"parties.{i}.party_id", party["party_kind"])
        session.add(DealParty(deal_id=deal.id, **party))


def _replace_lines(session: Session, deal: Deal, lines: list[dict[str, Any]]) -> None:
    session.execute(delete(DealDemandLine).where(DealDemandLine.deal_id == deal.id))
    for i, line in enumerate(lines):
        if line.get("item_id") is None and not line.get("description"):
            raise Invalid(f"demand.{i}.description", _("an item or a description"))
        referenced(session, Item, line.get("item_id"), f"demand.{i}.item_id", "item")
        session.add(DealDemandLine(deal_id=deal.id, position=i, **line))
    session.flush()
    _follow_lines(session, deal)


def _follow_lines(session: Session, deal: Deal) -> None:
    if deal.amount_manual:
        return
    rows = session.execute(
        select(DealDemandLine.quantity, DealDemandLine.price, DealDemandLine.amount).where(
            DealDemandLine.deal_id == deal.id
        )
    ).all()
    deal.amount = rules.amount_of([(quantity, price, amount) for quantity, price, amount in rows])


def load(session: Session, actor: Actor, deal_id: int, *, lock: bool = False) -> Deal:
    """A deal its reader may read; 404 otherwise."""
    deal = get(session, Deal, deal_id, "deal", lock=lock)
    require_read(may_read_deal(actor, owner_of(session, deal.responsible_id)), "deal", deal_id)
    return deal


def load_for_change(session: Session, actor: Actor, deal_id: int) -> Deal:
    """A deal, locked, that ``actor`` may change: 404 to those who may not read it, 403 to readers."""
    deal = load(session, actor, deal_id, lock=True)
    require_change(actor, owner_of(session, deal.responsible_id), "the deal")
    return deal


def filled(session: Session, deal: Deal) -> dict[str, bool]:
    """Which requirable fields of the deal hold something."""

    def has(model, column) -> bool:
        return bool(session.scalar(select(exists().where(column == deal.id))))

    return {
        "amount": deal.amount is not None and deal.amount > 0,
        "expected_close_date": deal.expected_close_date is not None,
        "comment": bool(deal.comment and deal.comment.strip()),
        "contact_person_id": deal.contact_person_id is not None,
        "parties": has(DealParty, DealParty.deal_id),
        "demand": has(DealDemandLine, DealDemandLine.deal_id),
        "files": has(DealFile, DealFile.deal_id),
    }


def list_deals(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    stage_id: int | None = None,
    state: str | None = None,
    responsible_id: int | None = None,
    kind_id: int | None = None,
    customer_id: int | None = None,
) -> tuple[list[Deal], int]:
    """Deals newest first; sales staff see their own and their department's (may_read_deal)."""
    if actor.role not in SALES | {Role.ADMIN}:
        raise Forbidden(_("deals are for sales staff"))
    stmt = select(Deal).order_by(Deal.id.desc())
    if actor.role != Role.ADMIN:
        department = select(Employee.id).where(
            Employee.department == actor.department, Employee.department.is_not(None)
        )
        stmt = stmt.where(or_(Deal.responsible_id == actor.id, Deal.responsible_id.in_(department)))
    for column, value in (
        (Deal.stage_id, stage_id),
        (Deal.state, state),
        (Deal.responsible_id, responsible_id),
        (Deal.kind_id, kind_id),
        (Deal.customer_id, customer_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt, page, page_size)


def listed(session: Session, found: list[Deal]) -> list[dict[str, Any]]:
    """Deals of a listing page: their columns and stage code, without parties, lines and files
    (one query for the page's stages, not four per deal)."""
    ids = {d.stage_id for d in found if d.stage_id}
    codes = dict(
        session.execute(select(DealStage.id, DealStage.code).where(DealStage.id.in_(ids))).all()
    )
    return [
        {
            **{c.key: getattr(d, c.key) for c in Deal.__table__.c},
            "stage_code": codes.get(d.stage_id),
        }
        for d in found
    ]


def shown(session: Session, deal: Deal) -> dict[str, Any]:
    """A deal with its stage, parties, demand lines and files."""
    values = {c.key: getattr(deal, c.key) for c in Deal.__table__.c}
    stage = session.get(DealStage, deal.stage_id) if deal.stage_id else None
    values["stage_code"] = stage.code if stage else None
    values["win_probability"] = win_probability(session, deal)
    values["parties"] = list(
        session.scalars(
            select(DealParty).where(DealParty.deal_id == deal.id).order_by(DealParty.id)
        )
    )
    values["demand"] = list(
        session.scalars(
            select(DealDemandLine)
            .where(DealDemandLine.deal_id == deal.id)
            .order_by(DealDemandLine.position)
        )
    )
    values["files"] = list(
        session.scalars(select(DealFile).where(DealFile.deal_id == deal.id).order_by(DealFile.id))
    )
    return values


def attach_file(session: Session, actor: Actor, deal_id: int, upload: files.Upload) -> DealFile:
    """A file kept with the deal (a proposal, a contract draft)."""
    deal = load_for_change(session, actor, deal_id)
    stored = files.store(session, upload.name, upload.content_type, upload.data)
    attached = DealFile(deal_id=deal.id, file_id=stored["file_id"], added_by_id=actor.id)
    session.add(attached)
    session.flush()
    return attached


def _file_readable(session: Session, actor: Actor, file_id: int) -> bool | None:
    deal_id = session.scalar(select(DealFile.deal_id).where(DealFile.file_id == file_id))
    if deal_id is None:
        return None
    deal = session.get(Deal, deal_id)
    return may_read_deal(actor, owner_of(session, deal.responsible_id))


files.register_reader(_file_readable)
