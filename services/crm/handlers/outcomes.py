"""Completing a task: its outcome records what happened and opens the next step.

A task about a lead converted meanwhile carries on with the lead's counterparty.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import (
    Counterparty,
    Employee,
    Partner,
    RefusalReason,
)
from services.crm.adapters.work import Interaction, Task
from services.crm.analytics.handlers import recorder
from services.crm.domain import tasks as rules
from services.crm.domain.errors import Invalid
from services.crm.domain.roles import Actor
from services.crm.handlers import deal_moves, ownership, refusals, subjects
from services.crm.handlers.calendar import calendar_of
from services.crm.handlers.employees import locale_of
from services.crm.handlers.process_documents import document_task_completed
from services.crm.handlers.tasks import details, finish, load_visible, open_task
from shared.calendar import within_working_hours
from shared.config import Settings
from shared.messages import CallCompleted, RescheduleCall


def complete_task(
    session: Session,
    actor: Actor,
    task_id: int,
    completion: rules.Completion,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """Close a task with its outcome and carry out what the outcome leads to.

    Returns the task, the tasks it opened and, for a call back, when the call is re-planned.
    ``settings`` give the call-back delay, the reminders' delay and the calendar's default.
    """
    task = load_visible(session, actor, task_id, lock=True)
    step = rules.check_completion(task.kind, task.state, completion)
    if task.subject_kind is not None:
        task.subject_kind, task.subject_id = subjects.successor(
            session, task.subject_kind, task.subject_id
        )
    if step.changes_customer:
        ownership.require_change_through(session, actor, task)
    finish(session, task, completion.outcome, completion.result, actor.id)
    now = task.completed_at
    if step.refusal:
        task.refusal_reason_id = completion.refusal_reason_id
    if step.interaction:
        _record_interaction(session, actor, task, step.interaction, completion, now)
    if step.call_completed:
        outbox.record(
            session,
            task.subject_kind,
            task.subject_id,
            CallCompleted(
                subject_kind=task.subject_kind,
                subject_id=task.subject_id,
                completed_at=now,
                task_id=task.id,
                outcome=completion.outcome,
            ),
        )
    created = []
    if step.next_task:
        created.append(_next_task(session, task, step, now))
    if step.refusal:
        _refuse(session, actor, task, completion, settings)
    recorder.task_done(session, task, refused=step.refusal)
    if step.set_status:
        subjects.assign_status(
            session,
            actor,
            task.subject_kind,
            task.subject_id,
            completion.status_id,
            f"set from task {task.id}: {completion.result}",
            owner_checked=True,
            settings=settings,
        )
    next_call_at = None
    if step.call_back:
        next_call_at = _call_back(
            session,
            actor,
            task,
            completion.call_back_at or now + timedelta(minutes=settings.call_back_minutes),
            settings,
        )
    if task.kind == "deal_stage":
        deal_moves.stage_task_completed(
            session,
            actor,
            task,
            completion.outcome,
            {"lost_reason_id": completion.refusal_reason_id},
        )
    if task.kind in ("approval", "document"):
        # Answered through the task: the process document it stands for follows.
        document_task_completed(
            session,
            actor,
            task.id,
            completion.outcome,
            delay_seconds=settings.reminder_delay_seconds,
        )
    session.flush()
    return {"task": task, "created_tasks": created, "next_call_at": next_call_at}


def _record_interaction(session, actor, task, kind, completion, now) -> None:
    """The call, e-mail or meeting the outcome records; a call the telephone exchange logged
    and offered for this task takes the outcome instead of being logged twice."""
    logged = session.scalars(
        select(Interaction).where(
            Interaction.task_id == task.id, Interaction.kind == kind, Interaction.outcome.is_(None)
        )
    ).first()
    if logged is not None:
        logged.outcome, logged.content = completion.outcome, completion.result
        logged.refusal_reason_id = completion.refusal_reason_id
        logged.topic = logged.topic or task.title
        return
    session.add(
        Interaction(
            kind=kind,
            direction="outgoing",
            topic=task.title,
            subject_kind=task.subject_kind,
            subject_id=task.subject_id,
            content=completion.result,
            responsible_id=actor.id,
            state="completed",
            outcome=completion.outcome,
            refusal_reason_id=completion.refusal_reason_id,
            task_id=task.id,
            started_at=now,
            ended_at=now,
        )
    )


def _next_task(session: Session, task: Task, step: rules.Step, now: datetime) -> Task:
    assignee = task.assignee_id
    if step.next_assignee == "main_manager":
        assignee = main_manager(session, task.subject_kind, task.subject_id) or assignee
    subject = subjects.load(session, task.subject_kind, task.subject_id)
    return open_task(
        session,
        Task(
            key=f"task:{task.id}:{step.next_task}",
            kind=step.next_task,
            title=rules.title_for(step.next_task, subject.name, locale_of(session, assignee)),
            assignee_id=assignee,
            subject_kind=task.subject_kind,
            subject_id=task.subject_id,
            basis_task_id=task.id,
            due_at=now + timedelta(days=1),
            details=details(session, subject, task.subject_kind),
        ),
    )


def main_manager(session: Session, kind: str, subject_id: int) -> int | None:
    """The subject's main manager: the partner's responsible for a counterparty, else its own."""
    subject = subjects.load(session, kind, subject_id)
    if isinstance(subject, Counterparty):
        partner = session.get(Partner, subject.partner_id)
        if partner is not None and partner.responsible_id is not None:
            return partner.responsible_id
    return subject.responsible_id


def _refuse(
    session: Session, actor: Actor, task: Task, completion: rules.Completion, settings: Settings
) -> None:
    reason = session.get(RefusalReason, completion.refusal_reason_id)
    if reason is None:
        raise Invalid(
            "refusal_reason_id", f"no refusal reason with id {completion.refusal_reason_id}"
        )
    refusals.refuse(
        session, actor, task.subject_kind, task.subject_id, reason, completion.result, settings
    )


def _call_back(
    session: Session, actor: Actor, task: Task, due_at: datetime, settings: Settings
) -> datetime:
    """ "No answer" / "call back later": the call is re-planned inside the manager's hours."""
    if due_at.tzinfo is None:
        raise Invalid("call_back_at", "must carry a time zone offset")
    subject = subjects.load(session, task.subject_kind, task.subject_id)
    manager = session.get(Employee, subject.responsible_id or task.assignee_id)
    calendar, tz = calendar_of(session, manager, settings)
    due_at = within_working_hours(calendar, due_at, tz)
    outbox.record(
        session,
        task.subject_kind,
        task.subject_id,
        RescheduleCall(
            subject_kind=task.subject_kind,
            subject_id=task.subject_id,
            due_at=due_at,
            requested_by_id=actor.id,
        ),
    )
    return due_at
