"""Interactions of the sales process: made for a step, edited while open, started, completed.

What completing one leads to (the next document, a reminder, an approved order) is the
process's business: services/crm/handlers/processes.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import ContactPerson, Employee
from services.crm.adapters.sales import ProcessInstance
from services.crm.adapters.work import Interaction, Task
from services.crm.analytics.handlers import recorder
from services.crm.domain import documents as rules
from services.crm.domain.errors import Conflict, Invalid, NotFound
from services.crm.domain.process import ACTED_ON, REGISTRATION_TOPICS, StepDef, definition
from services.crm.domain.roles import Role
from services.crm.domain.tasks import CANCELLED, OPEN
from services.crm.handlers import inbox, instances, subjects
from services.crm.handlers.common import apply, get, paginate, referenced, responsible
from services.crm.handlers.tasks import closed, finish, open_task
from shared.db import utcnow
from shared.i18n import _, translate

# Who may stand in each role a document names.
ROLES = {
    "transferred_to_id": (Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN),
    "approver_id": (Role.HEAD_OF_SALES, Role.HEAD_OF_EXECUTION, Role.ADMIN),
}


def load(session: Session, document_id: int) -> Interaction:
    doc = get(session, Interaction, document_id, "document")
    if doc.process_id is None:
        raise NotFound("document", document_id)  # a call of the calling loop: not a document here
    return doc


def create(
    session: Session,
    instance: ProcessInstance,
    step: StepDef,
    actor_id: int | None,
    fields: dict[str, Any],
    basis: tuple[str, int] | None = None,
) -> Interaction:
    """A new document of ``step`` in the instance, planned, recorded as the step."""
    fields = dict(fields)
    kind = fields.pop("kind", None) or step.interaction_kinds[0]
    if kind not in step.interaction_kinds:
        raise Invalid("kind", f"a {step.name} is one of: {', '.join(step.interaction_kinds)}")
    direction = fields.pop("direction", None) or step.direction or "outgoing"
    if step.direction and direction != step.direction:
        raise Invalid("direction", f"a {step.name} is {step.direction}")
    topic = fields.pop("topic", None) or step.topic or REGISTRATION_TOPICS.get(kind)
    rules.check_edit_times(kind, rules.PLANNED, fields)
    check_references(session, fields)
    doc = Interaction(
        process_id=instance.id,
        step=step.name,
        kind=kind,
        direction=direction,
        topic=topic,
        state=rules.PLANNED,
        basis_kind=basis[0] if basis else None,
        basis_id=basis[1] if basis else None,
        **fields,
    )
    session.add(doc)
    session.flush()
    instances.record(
        session,
        instance,
        step.name,
        "interaction",
        doc.id,
        actor_id=actor_id,
        responsible_id=doc.responsible_id,
    )
    follow_subject(instance, doc.subject_kind, doc.subject_id)
    if step.name in ACTED_ON and doc.responsible_id is not None:
        give_task(session, doc, "document", doc.responsible_id, step.title)
    return doc


def give_task(
    session: Session,
    doc: Interaction,
    kind: str,
    assignee_id: int,
    title: str,
    due_at: datetime | None = None,
) -> Task:
    """Put a document its assignee must act on in their "My tasks"; a new assignee takes the
    open task over. Completing or cancelling the document closes the task, and completing
    the task through the task API completes the document."""
    task = session.get(Task, doc.task_id, with_for_update=True) if doc.task_id else None
    if task is not None and task.state == OPEN:
        if task.assignee_id != assignee_id:
            task.assignee_id = assignee_id
            inbox.tell(
                session,
                f"task:{task.id}:to:{assignee_id}",
                session.get(Employee, assignee_id),
                _("New task: {title}"),
                task_id=task.id,
                title=task.title,
            )
        return task
    assignee = session.get(Employee, assignee_id)
    about = f": {doc.topic}" if doc.topic else ""
    task = open_task(
        session,
        Task(
            kind=kind,
            title=translate(assignee.locale, title) + about,
            assignee_id=assignee_id,
            subject_kind=doc.subject_kind,
            subject_id=doc.subject_id,
            due_at=due_at or utcnow() + timedelta(days=1),
            description=doc.content,
            details={"document_id": doc.id, "process_id": doc.process_id, "step": doc.step},
        ),
    )
    doc.task_id = task.id
    return task


def _close_task(session: Session, doc: Interaction, outcome: str, by_id: int | None) -> None:
    task = session.get(Task, doc.task_id, with_for_update=True) if doc.task_id else None
    if task is None or task.state != OPEN:
        return
    if outcome == CANCELLED:
        task.state, task.completed_at = CANCELLED, utcnow()
        closed(session, "task", task.id, CANCELLED)
    else:
        finish(session, task, outcome, doc.content or outcome, by_id)


def carried_over(basis: Interaction) -> dict[str, Any]:
    """What a document based on another takes from it: the client and the contacts."""
    return {
        "subject_kind": basis.subject_kind,
        "subject_id": basis.subject_id,
        "contacts": list(basis.contacts),
    }


def check_references(session: Session, fields: dict[str, Any]) -> None:
    """Every id a document names exists (422 naming the field) and fits its role."""
    if "subject_id" in fields or "subject_kind" in fields:
        kind, id_ = fields.get("subject_kind"), fields.get("subject_id")
        if (kind is None) != (id_ is None):
            raise Invalid("subject_id", "subject_kind and subject_id go together")
        if kind is not None:
            referenced(session, subjects.MODELS[kind], id_, "subject_id", kind)
    responsible(session, fields.get("responsible_id"))
    for field, roles in ROLES.items():
        employee = responsible(session, fields.get(field), field)
        if employee is not None and employee.role not in roles:
            raise Invalid(field, f"must be one of: {', '.join(roles)}")
    for n, row in enumerate(fields.get("contacts") or (), 1):
        person = row.get("contact_person_id")
        if person is not None and session.get(ContactPerson, person) is None:
            raise Invalid("contacts", f"row {n}: no contact person with id {person}")


def follow_subject(instance: ProcessInstance, kind: str | None, subject_id: int | None) -> None:
    """The instance is about the client its latest document names."""
    if kind is not None:
        instance.subject_kind, instance.subject_id = kind, subject_id


def update(
    session: Session, instance: ProcessInstance, doc: Interaction, changes: dict[str, Any]
) -> dict[str, Any]:
    """Edit an open document; returns the values it had before."""
    rules.check_open(doc.state)
    rules.check_edit_times(doc.kind, doc.state, changes)
    if {"subject_kind", "subject_id"} & changes.keys():
        changes = {"subject_kind": doc.subject_kind, "subject_id": doc.subject_id, **changes}
    check_references(session, changes)
    before = apply(doc, changes)
    if "started_at" in changes or "ended_at" in changes:
        rules.check_edit_times(doc.kind, doc.state, {n: getattr(doc, n) for n in rules.TIMES})
    follow_subject(instance, doc.subject_kind, doc.subject_id)
    if (
        doc.step in ACTED_ON
        and doc.responsible_id
        and doc.responsible_id != before.get("responsible_id", doc.responsible_id)
    ):
        title = definition(instance.kind).step(doc.step).title
        give_task(session, doc, "document", doc.responsible_id, title)
    return before


def start(doc: Interaction) -> Interaction:
    if doc.state != rules.PLANNED:
        raise Conflict(f"the interaction is {doc.state.replace('_', ' ')}: it has started before")
    doc.state = rules.IN_PROGRESS
    doc.started_at = rules.start_times(doc.kind, doc.started_at, utcnow())
    return doc


def values(doc: Interaction, required: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(doc, name) for name in required}


def complete(
    session: Session,
    doc: Interaction,
    outcome: str,
    *,
    required: tuple[str, ...] = (),
    refusal_reason_id: int | None = None,
    by_id: int | None = None,
) -> Interaction:
    """Close a document with its outcome once its required fields are filled in."""
    rules.check_open(doc.state)
    rules.check_complete(required, values(doc, required))
    taken_up_now = doc.state == rules.PLANNED
    doc.started_at, doc.ended_at = rules.completion_times(
        doc.kind, doc.started_at, doc.ended_at, utcnow()
    )
    if taken_up_now:
        recorder.first_contact_taken(session, doc)
    doc.state, doc.outcome, doc.refusal_reason_id = rules.COMPLETED, outcome, refusal_reason_id
    instances.mark_done(session, "interaction", doc.id, doc.step, outcome, refusal_reason_id)
    closed(session, "interaction", doc.id, "done")
    _close_task(session, doc, outcome, by_id)
    return doc


def cancel(session: Session, doc: Interaction) -> Interaction:
    rules.check_open(doc.state)
    doc.state, doc.ended_at = rules.CANCELLED, utcnow()
    instances.mark_done(session, "interaction", doc.id, doc.step, rules.CANCELLED)
    closed(session, "interaction", doc.id, "cancelled")
    _close_task(session, doc, CANCELLED, None)
    return doc


def open_side_documents(session: Session, process_id: int) -> list[Interaction]:
    return list(
        session.scalars(
            select(Interaction).where(
                Interaction.process_id == process_id,
                Interaction.kind == "event",
                Interaction.state.in_(rules.OPEN_STATES),
            )
        )
    )


def list_documents(
    session: Session,
    *,
    page: int,
    page_size: int,
    process_id: int | None = None,
    step: str | None = None,
    responsible_id: int | None = None,
    approver_id: int | None = None,
    state: str | None = None,
) -> tuple[list[Interaction], int]:
    stmt = select(Interaction).where(Interaction.process_id.is_not(None))
    for column, value in (
        (Interaction.process_id, process_id),
        (Interaction.step, step),
        (Interaction.responsible_id, responsible_id),
        (Interaction.approver_id, approver_id),
        (Interaction.state, state),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(Interaction.id.desc()), page, page_size)
