"""A due call becomes one task for one manager (rule: services/notifier/domain/assignment.py).

Due calls arrive a batch at a time (``CallsDue``) and their tasks leave the same way
(``CreateTasks``): shared/batch_messages.py says why, and what happens to a batch that
cannot be applied whole.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
from services.notifier.domain.directory import Person
from shared import config
from shared.batch_messages import batch_id, split_rows, unpacked
from shared.contracts import CRM, NOTIFIER
from shared.db import any_of, table_of, utcnow
from shared.messages import CallDue, CallsDue, CreateTask, CreateTasks

log = logging.getLogger(__name__)


class NoAssignee(Exception):
    """No active manager can take the call yet; retried, since the directory may be catching up."""


class AssignedConcurrently(Exception):
    """Another delivery of the same due call won the race; retried, the retry finds it done."""


# Built once, with the keys given at execution: on the calling loop's path a statement's
# construction cost more than its execution.
_ASSIGNED = select(CallAssignment.key).where(any_of(CallAssignment.key, "keys"))
_assignments = table_of(CallAssignment)
_ASSIGN = insert(_assignments).on_conflict_do_nothing().returning(_assignments.c.key)
# Tasks a CreateTasks holds at most: a transaction's due calls may be many more under a
# backlog, and the CRM applies each message's tasks in the transaction of its group.
TASKS_PER_MESSAGE = 100


def call_key(plan_id: int, due_at) -> str:
    """The idempotency key of one due call: its plan and due time (in UTC)."""
    return f"call:{plan_id}:{due_at.astimezone(UTC).isoformat()}"


def call_due(
    session: Session, env: dict[str, Any], due: CallDue, *, settings: config.Settings
) -> None:
    """CallDue: a task "Call <subject>" for the responsible manager or the next in turn."""
    calls_due(session, [due], settings=settings)


def batches_due(session: Session, batches: list[CallsDue], *, settings: config.Settings) -> None:
    """The calls of many CallsDue, as :func:`calls_due`."""
    calls_due(session, unpacked(batches), settings=settings)


def split(session: Session, env: dict[str, Any], batch: CallsDue) -> None:
    """A CallsDue that could not be applied whole: each call comes back as a CallDue of its
    own (shared/batch_messages.py)."""
    outbox.record_many(session, split_rows(batch, NOTIFIER))


def calls_due(session: Session, dues: list[CallDue], *, settings: config.Settings) -> None:
    """:func:`call_due` for many due calls, as if one after the other, with a statement per
    table for them all (the calling loop's due calls come by the hundred a second).

    Raises:
      NoAssignee: a call has no manager to take it yet.
      AssignedConcurrently: another delivery of a call assigned it meanwhile.
    """
    keys = sorted({call_key(due.plan_id, due.due_at) for due in dues})
    # Same call, other message id (a re-emitted due call): the first decision stands.
    assigned = set(session.scalars(_ASSIGNED, {"keys": keys}))
    known = directory.people(session, [due.responsible_id for due in dues])
    fresh: list[tuple[str, CallDue, Assignment]] = []
    for due in dues:
        key = call_key(due.plan_id, due.due_at)
        if key in assigned:
            log.info("call already assigned", extra={"key": key})
            continue
        assigned.add(key)
        responsible = known.get(due.responsible_id) if due.responsible_id else None
        assignment = assign(
            session, due.responsible_id, responsible, settings.notifier_default_department
        )
        fresh.append((key, due, assignment))
    if not fresh:
        return
    rows = [
        {
            "key": key,
            "plan_id": due.plan_id,
            "due_at": due.due_at,
            "assignee_id": assignment.assignee_id,
            "rotation": assignment.rotation,
        }
        for key, due, assignment in fresh
    ]
    created = set(session.scalars(_ASSIGN, rows))
    if len(created) < len(rows):
        raise AssignedConcurrently(", ".join(key for key, _, _ in fresh if key not in created))
    tasks = [_create_task(key, due, a) for key, due, a in fresh]
    outbox.record_many(
        session,
        [
            _create_tasks(tasks[start : start + TASKS_PER_MESSAGE])
            for start in range(0, len(tasks), TASKS_PER_MESSAGE)
        ],
    )
    for key, _, assignment in fresh:
        log.info("call assigned", extra={"key": key, "assignee_id": assignment.assignee_id})


def _create_task(key: str, due: CallDue, assignment: Assignment) -> CreateTask:
    """The call's CreateTask; its key makes the task once whatever message it travels in."""
    return CreateTask(
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


def _create_tasks(tasks: Sequence[CreateTask]) -> dict[str, Any]:
    """The outbox row of one CreateTasks, with an id its tasks' keys derive (a resent one is
    the same message)."""
    batch = CreateTasks(tasks=[task.data() for task in tasks])
    return outbox.row_values(
        "call_plan",
        tasks[0].plan_id,
        batch,
        queue=CRM,
        message_id=batch_id(batch.contract.type, (task.key for task in tasks)),
    )


def assign(
    session: Session,
    responsible_id: int | None,
    responsible: Person | None,
    default_department: str,
) -> Assignment:
    """The responsible manager if active, else the next active manager in turn; ``responsible``
    is the directory's entry of ``responsible_id`` (None: it has none)."""
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
