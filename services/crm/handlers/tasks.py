"""Tasks for people: created by hand (or by the notifier's command: task_commands.py),
completed with an outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import ContactPerson, Counterparty, Employee, Lead
from services.crm.adapters.work import Interaction, Reminder, Task
from services.crm.analytics.handlers import recorder
from services.crm.domain import tasks as rules
from services.crm.domain.access import HEADS, Owner, covers
from services.crm.domain.errors import Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import inbox, ownership, subjects
from services.crm.handlers.common import get, paginate, responsible
from services.crm.handlers.partners import list_contacts
from shared.db import utcnow
from shared.i18n import _
from shared.messages import DocumentClosed, TaskCompleted, TaskCreated, TaskOverdue

log = logging.getLogger(__name__)


def create_task(session: Session, actor: Actor, fields: dict[str, Any]) -> Task:
    """A task set by hand (a work assignment, a reminder to oneself)."""
    if fields["kind"] in ("document", "deal_stage"):
        raise Invalid("kind", "document and deal stage tasks are made by their process")
    assignee = responsible(session, fields["assignee_id"], "assignee_id")
    subject = None
    if fields.get("subject_kind"):
        if fields.get("subject_id") is None:
            raise Invalid("subject_id", "required with subject_kind")
        ownership.require_change_of(session, actor, fields["subject_kind"], fields["subject_id"])
        subject = subjects.load(session, fields["subject_kind"], fields["subject_id"])
    task = Task(
        author_id=actor.id,
        title=fields.get("title")
        or rules.title_for(fields["kind"], subject.name if subject else None, assignee.locale),
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
    """Save a new task, tell its assignee, and publish ``TaskCreated``."""
    open_tasks(session, [task])
    return task


def open_tasks(session: Session, tasks: list[Task]) -> None:
    """:func:`open_task` for many tasks, with a statement per table for all of them."""
    for task in tasks:
        task.title = rules.fitted(task.title)
    session.add_all(tasks)
    session.flush()
    recorder.tasks_opened(session, tasks)
    inbox.tell_many(
        session,
        [
            (
                f"task:{task.id}",
                session.get_one(Employee, task.assignee_id),
                _("New task: {title}"),
                task.id,
                {"title": task.title},
            )
            for task in tasks
        ],
    )
    outbox.record_many(
        session,
        [
            outbox.row_values(
                "task",
                task.id,
                TaskCreated(
                    task_id=task.id,
                    kind=task.kind,
                    title=task.title,
                    assignee_id=task.assignee_id,
                    subject_kind=task.subject_kind,
                    subject_id=task.subject_id,
                    due_at=task.due_at,
                    plan_id=task.plan_id,
                ),
            )
            for task in tasks
        ],
    )


def finish(
    session: Session, task: Task, outcome: str, result: str | None, by_id: int | None
) -> None:
    """Close an open task with its outcome: ``TaskCompleted``, and its reminders end."""
    now = utcnow()
    task.state, task.outcome, task.result, task.completed_at = rules.DONE, outcome, result, now
    outbox.record(
        session,
        "task",
        task.id,
        TaskCompleted(
            task_id=task.id,
            kind=task.kind,
            outcome=outcome,
            assignee_id=task.assignee_id,
            completed_by_id=by_id,
            subject_kind=task.subject_kind,
            subject_id=task.subject_id,
            completed_at=now,
        ),
    )
    closed(session, "task", task.id, rules.DONE)


def details(session: Session, subject: Lead | Counterparty, kind: str) -> dict[str, Any]:
    """The contacts and last interactions a manager needs at hand for the call."""
    contacts = [] if isinstance(subject, Lead) else list_contacts(session, subject.partner_id)
    last = session.scalars(
        select(Interaction)
        .where(Interaction.subject_kind == kind, Interaction.subject_id == subject.id)
        .order_by(Interaction.id.desc())
        .limit(LAST_INTERACTIONS)
    )
    return details_of(subject, contacts, last)


# How many of a subject's latest interactions a call task shows.
LAST_INTERACTIONS = 5


def details_of(
    subject: Lead | Counterparty, contacts: Iterable[ContactPerson], last: Iterable[Any]
) -> dict[str, Any]:
    """A task's details from the subject, its partner's contact persons (a counterparty's)
    and its last interactions, newest first (rows with ``kind``, ``topic``, ``outcome``,
    ``content`` and ``ended_at``)."""
    if isinstance(subject, Lead):  # kind "lead"
        people = [
            {"name": subject.contact_name, "phones": subject.phones, "emails": subject.emails}
        ]
    else:
        people = [
            {"name": c.name, "job_title": c.job_title, "phones": c.phones, "emails": c.emails}
            for c in contacts
        ]
    return {
        "contacts": people,
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
    return covers(actor, Owner(assignee.id, assignee.department))


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
    planned_before: datetime | None = None,
    now: datetime | None = None,
) -> tuple[list[Task], int]:
    """My tasks (or, for heads, the department's), open/overdue/done, in due order.

    ``planned_before`` keeps the tasks to do before that instant: a call by its planned moment
    (its task is due only at the end of that working day), any other task by its due time.
    """
    now = now or utcnow()
    stmt = select(Task).order_by(Task.due_at, Task.id)
    if actor.role not in (Role.ADMIN, *HEADS) and assignee_id not in (None, actor.id):
        raise Forbidden("managers see their own tasks only")
    stmt = stmt.where(ownership.covered(actor, Task.assignee_id))
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if state == "overdue":
        stmt = stmt.where(Task.state == rules.OPEN, Task.due_at < now)
    elif state is not None:
        stmt = stmt.where(Task.state == state)
    if planned_before is not None:
        stmt = stmt.where(func.coalesce(Task.planned_at, Task.due_at) < planned_before)
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
    """Reminders based on this document are no longer due: here, and at the notifier."""
    session.execute(
        update(Reminder)
        .where(
            Reminder.basis_kind == kind,
            Reminder.basis_id == document_id,
            Reminder.state == "scheduled",
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )
    outbox.record(
        session,
        kind,
        document_id,
        DocumentClosed(document_kind=kind, document_id=document_id, state=state),
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
            TaskOverdue(
                task_id=task.id, assignee_id=task.assignee_id, title=task.title, due_at=task.due_at
            ),
        )
    return len(tasks)
