"""A lead's or counterparty's card: its next planned call and the "Events" tab (its calls,
e-mails and meetings, a converted lead's included), read as the ownership rule allows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.adapters.work import Interaction, Task
from services.crm.domain.access import Owner, may_read_customer, require_read
from services.crm.domain.calls import is_overdue
from services.crm.domain.roles import Actor
from services.crm.handlers import subjects
from services.crm.handlers.calls import live_plan
from services.crm.handlers.common import paginate
from shared.db import utcnow


def owner_of(session: Session, responsible_id: int | None) -> Owner:
    """The owner of a customer record: its manager and that manager's department."""
    manager = session.get(Employee, responsible_id) if responsible_id else None
    return Owner(responsible_id, manager.department if manager else None)


def readable(session: Session, actor: Actor, kind: str, subject_id: int) -> Any:
    """The subject, if ``actor`` may read it (404 otherwise, as if it did not exist)."""
    subject = subjects.load(session, kind, subject_id)
    allowed = may_read_customer(actor, owner_of(session, subject.responsible_id))
    require_read(allowed, kind, subject_id)
    return subject


def next_call(session: Session, kind: str, subject_id: int) -> dict[str, Any] | None:
    """The subject's planned (or due, not yet made) call, and who has it."""
    plan = live_plan(session, kind, subject_id)
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
    about = (Interaction.subject_kind == kind) & (Interaction.subject_id == subject.id)
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
