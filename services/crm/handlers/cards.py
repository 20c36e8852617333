"""The customer's card: a lead or counterparty with its contacts, status history, next planned
call, timeline and "Events" tab (its calls, e-mails and meetings, a converted lead's included),
shown only to those the ownership rule lets read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import (
    Counterparty,
    Employee,
    InteractionStatus,
    Lead,
    Partner,
    RefusalReason,
)
from services.crm.adapters.work import Interaction, Task
from services.crm.domain.access import may_change, may_read_customer, require_read
from services.crm.domain.calls import is_overdue
from services.crm.domain.roles import Actor
from services.crm.handlers import calls, subjects
from services.crm.handlers.common import get, paginate
from services.crm.handlers.ownership import owner_of
from services.crm.handlers.partners import list_contacts
from services.crm.handlers.reference import list_entries
from shared.db import utcnow

TIMELINE = 50


def readable(session: Session, actor: Actor, kind: str, subject_id: int) -> Lead | Counterparty:
    """The subject, if ``actor`` may read it; NotFound (existence undisclosed) otherwise."""
    subject = subjects.load(session, kind, subject_id)
    require_read(
        may_read_customer(actor, owner_of(session, subject.responsible_id)), kind, subject_id
    )
    return subject


def customer_card(session: Session, actor: Actor, kind: str, subject_id: int) -> dict[str, Any]:
    subject = readable(session, actor, kind, subject_id)
    statuses = {s.id: s for s in list_entries(session, InteractionStatus)}
    responsible = session.get(Employee, subject.responsible_id) if subject.responsible_id else None
    partner = (
        session.get(Partner, subject.partner_id) if isinstance(subject, Counterparty) else None
    )
    return {
        "kind": kind,
        "subject": subject,
        "partner": partner,
        "responsible": responsible,
        "status": statuses.get(subject.status_id),
        "contacts": _contacts(session, subject, kind),
        "history": [
            {"entry": e, "from": statuses.get(e.from_status_id), "to": statuses.get(e.to_status_id)}
            for e in subjects.status_history(session, kind, subject.id)
        ],
        "next_call": calls.live_plan(session, kind, subject.id),
        "timeline": timeline(session, kind, subject.id),
        "may_change": may_change(actor, owner_of(session, subject.responsible_id)),
        "assignable": [s for s in statuses.values() if s.active and s.applies_to in (kind, "both")],
    }


def next_call(session: Session, kind: str, subject_id: int) -> dict[str, Any] | None:
    """The subject's planned (or due, not yet made) call, and who has it."""
    plan = calls.live_plan(session, kind, subject_id)
    if plan is None:
        return None
    task = session.scalar(
        select(Task)
        .where(Task.plan_id == plan.plan_id, Task.state == "open", Task.kind == "call")
        .order_by(Task.id.desc())
        .limit(1)
    )
    return {
        "plan_id": plan.plan_id,
        "at": plan.next_call_at,
        "state": plan.state,
        "overdue": is_overdue(plan.next_call_at, plan.state, utcnow()),
        "responsible_id": plan.responsible_id,
        "task_id": task.id if task else None,
        "assignee_id": task.assignee_id if task else None,
    }


def shown(session: Session, kind: str, subject: Lead | Counterparty) -> Lead | Counterparty:
    """The subject as its own resource shows it: with its next planned call."""
    subject.next_call = next_call(session, kind, subject.id)
    return subject


def events(
    session: Session,
    actor: Actor,
    kind: str,
    subject_id: int,
    *,
    page: int,
    page_size: int,
    interaction_kind: str | None = None,
) -> tuple[list[Interaction], int]:
    """The subject's interactions, newest first; a counterparty's include its lead's."""
    subject = readable(session, actor, kind, subject_id)
    about: ColumnElement[bool] = (Interaction.subject_kind == kind) & (
        Interaction.subject_id == subject.id
    )
    lead_id = getattr(subject, "lead_id", None)
    if lead_id is not None:
        about = or_(
            about, (Interaction.subject_kind == "lead") & (Interaction.subject_id == lead_id)
        )
    stmt = select(Interaction).where(about)
    if interaction_kind is not None:
        stmt = stmt.where(Interaction.kind == interaction_kind)
    order = Interaction.ended_at.desc().nulls_first(), Interaction.id.desc()
    return paginate(session, stmt.order_by(*order), page, page_size)


def _contacts(session: Session, subject: Lead | Counterparty, kind: str) -> list[dict[str, Any]]:
    if isinstance(subject, Lead):  # kind "lead"
        return [{"name": subject.contact_name, "phones": subject.phones, "emails": subject.emails}]
    return [
        {"name": c.name, "job_title": c.job_title, "phones": c.phones, "emails": c.emails}
        for c in list_contacts(session, subject.partner_id)
    ]


def timeline(session: Session, kind: str, subject_id: int) -> list[dict[str, Any]]:
    """Interactions, tasks and status changes of the subject, newest first."""
    reasons = {r.id: r.name for r in list_entries(session, RefusalReason)}
    entries: list[dict[str, Any]] = [
        {
            "at": i.ended_at or i.started_at or i.created_at,
            "what": i.kind,
            "title": i.topic,
            "outcome": i.outcome,
            "detail": reasons.get(i.refusal_reason_id) or i.content,
            "interaction_id": i.id,
            "deal_id": i.deal_id,
        }
        for i in session.scalars(
            select(Interaction)
            .where(Interaction.subject_kind == kind, Interaction.subject_id == subject_id)
            .order_by(Interaction.id.desc())
            .limit(TIMELINE)
        )
    ]
    entries += [
        {
            "at": t.completed_at or t.created_at,
            "what": "task",
            "title": t.title,
            "outcome": t.outcome or t.state,
            "detail": t.result,
            "task_id": t.id,
        }
        for t in session.scalars(
            select(Task)
            .where(Task.subject_kind == kind, Task.subject_id == subject_id)
            .order_by(Task.id.desc())
            .limit(TIMELINE)
        )
    ]
    return sorted(entries, key=lambda e: e["at"], reverse=True)[:TIMELINE]


def partner_card(session: Session, actor: Actor, partner_id: int) -> dict[str, Any]:
    """A partner with its contacts and the counterparties the actor may read."""
    partner = get(session, Partner, partner_id, "partner")
    counterparties = [
        c
        for c in session.scalars(
            select(Counterparty)
            .where(Counterparty.partner_id == partner.id)
            .order_by(Counterparty.id)
        )
        if may_read_customer(actor, owner_of(session, c.responsible_id))
    ]
    require_read(
        bool(counterparties) or may_read_customer(actor, owner_of(session, partner.responsible_id)),
        "partner",
        partner_id,
    )
    return {
        "partner": partner,
        "contacts": list_contacts(session, partner.id),
        "counterparties": counterparties,
    }
