"""A due call becomes one task for one manager (rule: services/notifier/domain/assignment.py)."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notifier.adapters import directory, outbox
from services.notifier.adapters.orm import CallAssignment, Rotation
from services.notifier.domain.assignment import (
    Assignment,
    managers_of,
    next_in_rotation,
    rotation_departments,
    takes_calls_directly,
)
from shared import config
from shared.contracts import CRM
from shared.db import utcnow
from shared.messages import CallDue, CreateTask
from shared.publisher import derived_id

log = logging.getLogger(__name__)


class NoAssignee(Exception):
    """No active manager can take the call yet; retried, since the directory may be catching up."""


class AssignedConcurrently(Exception):
    """Another delivery of the same due call won the race; retried, the retry finds it done."""


def call_key(plan_id: int, due_at) -> str:
    """The idempotency key of one due call: its plan and due time (in UTC)."""
    return f"call:{plan_id}:{due_at.astimezone(UTC).isoformat()}"


def call_due(
    session: Session, env: dict[str, Any], due: CallDue, *, settings: config.Settings
) -> None:
    """CallDue: a task "Call <subject>" for the responsible manager or the next in turn."""
    key = call_key(due.plan_id, due.due_at)
    # Same call, other message id (a re-emitted due call): the first decision stands.
    if session.get(CallAssignment, key) is not None:
        log.info("call already assigned", extra={"key": key})
        return
    assignment = assign(session, due.responsible_id, settings.notifier_default_department)
    created = session.execute(
        insert(CallAssignment)
        .values(
            key=key,
            plan_id=due.plan_id,
            due_at=due.due_at,
            assignee_id=assignment.assignee_id,
            rotation=assignment.rotation,
        )
        .on_conflict_do_nothing()
        .returning(CallAssignment.key)
    ).first()
    if created is None:
        raise AssignedConcurrently(key)
    task = CreateTask(
        key=key,
        kind="call",
        title=None,
        assignee_id=assignment.assignee_id,
        subject_kind=due.subject_kind,
        subject_id=due.subject_id,
        due_at=due.due_at,
        plan_id=due.plan_id,
        status_id=due.status_id,
        status_version=due.status_version,
        plan_revision=due.revision,
    )
    outbox.record(
        session,
        "call_plan",
        due.plan_id,
        task,
        queue=CRM,
        message_id=derived_id(task.contract.type, key),
    )
    log.info("call assigned", extra={"key": key, "assignee_id": assignment.assignee_id})


def assign(session: Session, responsible_id: int | None, default_department: str) -> Assignment:
    """The responsible manager if active, else the next active manager in turn."""
    responsible = directory.find(session, responsible_id)
    if takes_calls_directly(responsible):
        return Assignment(responsible.id)
    for department in rotation_departments(responsible, default_department):
        candidates = managers_of(directory.in_department(session, department), department)
        if candidates:
            return Assignment(_advance(session, department, candidates), department)
    raise NoAssignee(
        f"no active manager for responsible {responsible_id} "
        f"(departments tried: {', '.join(rotation_departments(responsible, default_department))})"
    )


def _advance(session: Session, department: str, candidates: list[int]) -> int:
    """Move the department's turn on, under its row lock, in the caller's transaction."""
    session.execute(insert(Rotation).values(department=department).on_conflict_do_nothing())
    rotation = session.scalars(
        select(Rotation).where(Rotation.department == department).with_for_update()
    ).one()
    chosen = next_in_rotation(candidates, rotation.last_assignee_id)
    rotation.last_assignee_id = chosen
    rotation.updated_at = utcnow()
    return chosen
