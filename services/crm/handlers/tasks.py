"""Tasks for people: created by the notifier's command or by hand, completed with an outcome."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import (
    Counterparty,
    Employee,
    Lead,
)
from services.crm.adapters.work import Interaction, Task
from services.crm.analytics.handlers import recorder
from services.crm.domain import tasks as rules
from services.crm.domain.errors import Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import inbox, subjects
from services.crm.handlers.common import get, paginate, responsible
from services.crm.handlers.partners import list_contacts
from shared.db import utcnow

log = logging.getLogger(__name__)

HEADS = (Role.HEAD_OF_SALES, Role.HEAD_OF_EXECUTION)


def create_from_command(session: Session, data: dict[str, Any]) -> Task | None:
    """CreateTask from the notifier: once per key; nothing for a subject that moved on."""
    if session.scalar(select(Task.id).where(Task.key == data["key"])) is not None:
        return None
    subject = None
    if data.get("subject_kind") and data.get("subject_id"):
        subject = subjects.load(session, data["subject_kind"], data["subject_id"])
        stale = data.get("status_id") is not None and subject.status_id != data["status_id"]
        if stale or subject.archived:
            # The call was planned from a status the subject no longer holds.
            log.info("call due for a changed subject: no task", extra={"key": data["key"]})
            return None
    responsible(session, data["assignee_id"], "assignee_id")
    task = Task(
        key=data["key"],
        kind=data["kind"],
        title=data.get("title") or rules.title_for(data["kind"], subject.name if subject else None),
        assignee_id=data["assignee_id"],
        subject_kind=data.get("subject_kind"),
        subject_id=data.get("subject_id"),
        plan_id=data.get("plan_id"),
        due_at=data["due_at"],
        details=details(session, subject, data.get("subject_kind")) if subject else {},
    )
    return open_task(session, task)


def create_task(session: Session, actor: Actor, fields: dict[str, Any]) -> Task:
    """A task set by hand (a work assignment, a reminder to oneself)."""
    assignee = responsible(session, fields["assignee_id"], "assignee_id")
    subject = None
    if fields.get("subject_kind"):
        if fields.get("subject_id") is None:
            raise Invalid("subject_id", "required with subject_kind")
        subject = subjects.load(session, fields["subject_kind"], fields["subject_id"])
    task = Task(
        author_id=actor.id,
        title=fields.get("title")
        or rules.title_for(fields["kind"], subject.name if subject else None),
        details=details(session, subject, fields.get("subject_kind")) if subject else {},
        **{k: v for k, v in fields.items() if k != "title"},
    )
    if (
        actor.role not in (Role.ADMIN, *HEADS)
        and assignee.id != actor.id
        and fields["kind"] == "call"
    ):
        raise Forbidden("only heads assign calls to others")
    return open_task(session, task)


def open_task(session: Session, task: Task) -> Task:
    session.add(task)
    session.flush()
    recorder.task_opened(session, task)
    inbox.notify(
        session, f"task:{task.id}", task.assignee_id, f"New task: {task.title}", task_id=task.id
    )
    return task


def details(session: Session, subject: Lead | Counterparty, kind: str) -> dict[str, Any]:
    """The contacts and last interactions a manager needs at hand for the call."""
    if kind == "lead":
        contacts = [
            {"name": subject.contact_name, "phones": subject.phones, "emails": subject.emails}
        ]
    else:
        contacts = [
            {"name": c.name, "job_title": c.job_title, "phones": c.phones, "emails": c.emails}
            for c in list_contacts(session, subject.partner_id)
        ]
    last = session.scalars(
        select(Interaction)
        .where(Interaction.subject_kind == kind, Interaction.subject_id == subject.id)
        .order_by(Interaction.id.desc())
        .limit(5)
    )
    return {
        "contacts": contacts,
        "last_interactions": [
            {
                "kind": i.kind,
                "topic": i.topic,
                "outcome": i.outcome,
                "content": i.content,
                "ended_at": i.ended_at.isoformat() if i.ended_at else None,
            }
            for i in last
        ],
    }


def visible(actor: Actor, assignee: Employee) -> bool:
    """Managers see their own tasks, heads their department's, admins all."""
    if actor.role == Role.ADMIN or assignee.id == actor.id:
        return True
    return (
        actor.role in HEADS
        and assignee.department is not None
        and assignee.department == actor.department
    )


def load_visible(session: Session, actor: Actor, task_id: int, *, lock: bool = False) -> Task:
    task = get(session, Task, task_id, "task", lock=lock)
    if not visible(actor, session.get(Employee, task.assignee_id)):
        raise NotFound("task", task_id)
    return task


def list_tasks(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    state: str | None = None,
    assignee_id: int | None = None,
    kind: str | None = None,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    now: datetime | None = None,
) -> tuple[list[Task], int]:
    """My tasks (or, for heads, the department's), open/overdue/done, in due order."""
    now = now or utcnow()
    stmt = (
        select(Task).join(Employee, Employee.id == Task.assignee_id).order_by(Task.due_at, Task.id)
    )
    if actor.role in HEADS:
        stmt = stmt.where(
            (Employee.department == actor.department) | (Task.assignee_id == actor.id)
        )
    elif actor.role != Role.ADMIN:
        if assignee_id not in (None, actor.id):
            raise Forbidden("managers see their own tasks only")
        stmt = stmt.where(Task.assignee_id == actor.id)
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if state == "overdue":
        stmt = stmt.where(Task.state == rules.OPEN, Task.due_at < now)
    elif state is not None:
        stmt = stmt.where(Task.state == state)
    for column, value in (
        (Task.kind, kind),
        (Task.subject_kind, subject_kind),
        (Task.subject_id, subject_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt, page, page_size)


def cancel_task(session: Session, actor: Actor, task_id: int) -> Task:
    task = load_visible(session, actor, task_id, lock=True)
    if task.state == rules.OPEN:
        task.state, task.completed_at = rules.CANCELLED, utcnow()
        recorder.task_cancelled(session, task)
        closed(session, "task", task.id, rules.CANCELLED)
    return task


def closed(session: Session, kind: str, document_id: int, state: str) -> None:
    """Tell the notifier that reminders based on this document are no longer due."""
    outbox.record(
        session,
        kind,
        document_id,
        "DocumentClosed",
        {"document_kind": kind, "document_id": document_id, "state": state},
    )


def escalate_overdue(session: Session, overdue_minutes: int, now: datetime | None = None) -> int:
    """Mark tasks overdue for longer than ``overdue_minutes`` and tell the notifier, once each."""
    cutoff = (now or utcnow()) - timedelta(minutes=overdue_minutes)
    tasks = session.scalars(
        select(Task)
        .where(Task.state == rules.OPEN, Task.escalated_at.is_(None), Task.due_at < cutoff)
        .order_by(Task.due_at)
        .limit(1000)
        .with_for_update(skip_locked=True)
    ).all()
    for task in tasks:
        task.escalated_at = now or utcnow()
        recorder.task_escalated(session, task)
        outbox.record(
            session,
            "task",
            task.id,
            "TaskOverdue",
            {
                "task_id": task.id,
                "assignee_id": task.assignee_id,
                "title": task.title,
                "due_at": task.due_at.isoformat(),
            },
        )
    return len(tasks)
