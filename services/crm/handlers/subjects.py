"""Use cases common to leads and counterparties: listing, editing, status assignment."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple, overload

from sqlalchemy import ColumnElement, Select, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import (
    Counterparty,
    Employee,
    InteractionStatus,
    Lead,
    StatusAssignment,
)
from services.crm.domain.errors import Invalid, NotFound
from services.crm.domain.roles import Actor, Permission
from services.crm.domain.statuses import (
    StatusRule,
    check_assignable,
    check_not_converted,
    is_reassignment,
)
from services.crm.handlers import inbox, ownership
from services.crm.handlers.calendar import calendar_of
from services.crm.handlers.common import INT_MAX, get, paginate, responsible
from shared.calendar import due_after
from shared.config import Settings
from shared.db import table_of
from shared.i18n import _
from shared.messages import (
    AssignStatus,
    ResponsibleChanged,
    StatusAssigned,
    SubjectArchived,
    SubjectRegistered,
)

MODELS: dict[str, type[Lead] | type[Counterparty]] = {"lead": Lead, "counterparty": Counterparty}


# The kind names the class: a literal kind gives the checker the one it loads.
@overload
def load(
    session: Session, kind: Literal["lead"], subject_id: int, *, lock: bool = False
) -> Lead: ...
@overload
def load(
    session: Session, kind: Literal["counterparty"], subject_id: int, *, lock: bool = False
) -> Counterparty: ...
@overload
def load(
    session: Session, kind: str, subject_id: int, *, lock: bool = False
) -> Lead | Counterparty: ...
def load(
    session: Session, kind: str, subject_id: int, *, lock: bool = False
) -> Lead | Counterparty:
    return get(session, MODELS[kind], subject_id, kind, lock=lock)


@overload
def load_for_change(
    session: Session, kind: Literal["lead"], subject_id: int, actor: Actor | None = None
) -> Lead: ...
@overload
def load_for_change(
    session: Session, kind: str, subject_id: int, actor: Actor | None = None
) -> Lead | Counterparty: ...
def load_for_change(
    session: Session, kind: str, subject_id: int, actor: Actor | None = None
) -> Lead | Counterparty:
    """Load and lock a subject about to change, refused unless ``actor`` may change it (None:
    another system, or a caller that applied the rule); a converted lead no longer changes."""
    return load_with_manager(session, kind, subject_id, actor).subject


class Changing(NamedTuple):
    """A subject locked for a change, its responsible manager, the status asked for."""

    subject: Lead | Counterparty
    manager: Employee | None
    status: InteractionStatus | None = None


def load_with_manager(
    session: Session,
    kind: str,
    subject_id: int,
    actor: Actor | None = None,
    *,
    status_id: int | None = None,
) -> Changing:
    """:func:`load_for_change`, with the subject's responsible manager and, given
    ``status_id``, that interaction status (None if there is none).

    One query locks the subject and reads the others: the ownership rule then finds the
    subject and its manager in the session instead of asking again, as long as the caller
    holds the manager (the session keeps only the objects someone refers to)."""
    if not 0 < subject_id <= INT_MAX:
        raise NotFound(kind, subject_id)
    status_id = status_id if status_id is None or 0 < status_id <= INT_MAX else 0
    row = session.execute(
        _locking(kind, with_status=status_id is not None),
        {"subject_id": subject_id, "status_id": status_id},
    ).first()
    if row is None:
        raise NotFound(kind, subject_id)
    found = Changing(*row.tuple())
    ownership.require_change_of(session, actor, kind, found.subject.id)
    converted = getattr(found.subject, "counterparty_id", None) is not None
    check_not_converted(converted, found.subject.id)
    return found


@cache
def _locking(kind: str, *, with_status: bool) -> Select:
    """The query of :func:`load_with_manager`, built once: a statement used again skips
    its construction and its cache key, a good part of a short request's time."""
    model = MODELS[kind]
    entities: list[Any] = [model, Employee]
    stmt = select(*entities).outerjoin(Employee, Employee.id == model.responsible_id)
    if with_status:
        stmt = stmt.add_columns(InteractionStatus).outerjoin(
            InteractionStatus, InteractionStatus.id == bindparam("status_id")
        )
    return (
        stmt.where(model.id == bindparam("subject_id"))
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )


def successor(session: Session, kind: str, subject_id: int) -> tuple[str, int]:
    """Where a subject lives now: a converted lead's work continues on its counterparty."""
    if kind == "lead":
        lead = load(session, "lead", subject_id)
        if lead.counterparty_id is not None:
            return "counterparty", lead.counterparty_id
    return kind, subject_id


def rule_of(status: InteractionStatus) -> StatusRule:
    return StatusRule(status.id, status.name, status.applies_to, status.active)


def list_subjects(
    session: Session,
    kind: str,
    *,
    page: int,
    page_size: int,
    status_id: int | None = None,
    responsible_id: int | None = None,
    archived: bool | None = False,
    q: str | None = None,
    **equal: Any,
) -> tuple[list[Any], int]:
    """Quick filters shared by the lead and counterparty lists, newest first."""
    model = MODELS[kind]
    stmt = select(model).order_by(model.id.desc())
    if status_id is not None:
        stmt = stmt.where(model.status_id == status_id)
    if responsible_id is not None:
        stmt = stmt.where(model.responsible_id == responsible_id)
    if archived is not None:
        stmt = stmt.where(model.archived.is_(archived))
    if q:
        stmt = stmt.where(model.name.icontains(q, autoescape=True))
    for name, value in equal.items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    return paginate(session, stmt, page, page_size)


@overload
def update(
    session: Session,
    actor: Actor,
    kind: Literal["lead"],
    subject_id: int,
    changes: dict[str, Any],
) -> Lead: ...
@overload
def update(
    session: Session,
    actor: Actor,
    kind: Literal["counterparty"],
    subject_id: int,
    changes: dict[str, Any],
) -> Counterparty: ...
@overload
def update(
    session: Session, actor: Actor, kind: str, subject_id: int, changes: dict[str, Any]
) -> Lead | Counterparty: ...
def update(
    session: Session, actor: Actor, kind: str, subject_id: int, changes: dict[str, Any]
) -> Lead | Counterparty:
    """Edit a subject; a new responsible manager and archiving are events the scheduler needs."""
    actor.require(Permission.EDIT_CUSTOMERS)
    subject = load_for_change(session, kind, subject_id, actor)
    if "responsible_id" in changes:
        manager = responsible(session, changes["responsible_id"])
        if changes["responsible_id"] != subject.responsible_id:
            outbox.record(
                session,
                kind,
                subject.id,
                ResponsibleChanged(
                    subject_kind=kind,
                    subject_id=subject.id,
                    responsible_id=changes["responsible_id"],
                    **_manager_calendar(manager),
                ),
            )
    if changes.get("archived") and not subject.archived:
        outbox.record(
            session,
            kind,
            subject.id,
            SubjectArchived(subject_kind=kind, subject_id=subject.id),
        )
    for name, value in changes.items():
        setattr(subject, name, value)
    session.flush()
    return subject


def registered(
    session: Session, kind: str, subject: Lead | Counterparty, extra: dict[str, Any]
) -> None:
    """Record the SubjectRegistered event of a new lead or counterparty."""
    outbox.record(
        session,
        kind,
        subject.id,
        SubjectRegistered(
            subject_kind=kind,
            subject_id=subject.id,
            name=subject.name,
            responsible_id=subject.responsible_id,
            **extra,
        ),
    )


def _manager_calendar(manager: Employee | None) -> dict[str, Any]:
    """Whose working day a subject's calls land in, as the scheduler's messages carry it."""
    return {
        "responsible_timezone": manager.timezone if manager else "UTC",
        "responsible_department": manager.department if manager else None,
    }


def assign_status_command(
    session: Session, env: dict[str, Any], command: AssignStatus, settings: Settings
) -> None:
    """AssignStatus: another system sets a lead's or counterparty's interaction status."""
    assign_status(
        session,
        None,
        command.subject_kind,
        command.subject_id,
        command.status_id,
        command.reason,
        settings=settings,
    )


# A plain INSERT, built once: the history row is written and never read back as an object.
_RECORD_ASSIGNMENT = insert(table_of(StatusAssignment)).returning(*table_of(StatusAssignment).c)


class Assigned(NamedTuple):
    """A status assignment's answer: the subject, whether it changed, its next planned call."""

    subject: Lead | Counterparty
    changed: bool
    next_call_at: datetime | None = None


def assign_status(
    session: Session,
    actor: Actor | None,
    kind: str,
    subject_id: int,
    status_id: int,
    reason: str | None = None,
    *,
    owner_checked: bool = False,
    settings: Settings,
) -> Assigned:
    """Set a subject's interaction status, keep the history and emit StatusAssigned.

    ``actor`` is None when another system assigns by message; ``owner_checked`` when the
    caller has applied the ownership rule itself (a new record, a task's outcome); ``settings``
    give the calendar's configured default. Returns the subject, whether
    anything changed (assigning the status it already holds is a no-op) and, when the new
    status generates calls, the moment of the planned call: the scheduler, which owns the
    plan, computes the same instant with the same calendar functions and data.
    """
    if actor is not None:
        actor.require(Permission.ASSIGN_STATUSES)
    subject, manager, status = load_with_manager(
        session, kind, subject_id, None if owner_checked else actor, status_id=status_id
    )
    if status is None:
        raise Invalid("status_id", f"no interaction status with id {status_id}")
    check_assignable(rule_of(status), kind)
    if is_reassignment(subject.status_id, status.id):
        return Assigned(subject, False)
    entry = session.execute(
        _RECORD_ASSIGNMENT,
        {
            "subject_kind": kind,
            "subject_id": subject.id,
            "from_status_id": subject.status_id,
            "to_status_id": status.id,
            "assigned_by_id": actor.id if actor else None,
            "reason": reason,
        },
    ).one()
    subject.status_id = status.id
    subject.status_assigned_at = entry.assigned_at
    outbox.record(
        session,
        kind,
        subject.id,
        StatusAssigned(
            assignment_id=entry.id,
            subject_kind=kind,
            subject_id=subject.id,
            status_id=status.id,
            status_name=status.name,
            status_version=status.version,
            previous_status_id=entry.from_status_id,
            generate_calls=status.generate_calls,
            call_interval_days=status.call_interval_days,
            responsible_id=subject.responsible_id,
            **_manager_calendar(manager),
            assigned_by_id=entry.assigned_by_id,
            assigned_at=entry.assigned_at,
            reason=reason,
        ),
        occurred_at=entry.assigned_at,
    )
    next_call_at = None
    if status.generate_calls:
        next_call_at = _plan_call(
            session,
            subject,
            manager,
            entry.id,
            entry.assigned_at,
            status.call_interval_days,
            settings,
        )
    session.flush()
    return Assigned(subject, True, next_call_at)


def _plan_call(
    session: Session,
    subject: Lead | Counterparty,
    manager: Employee | None,
    assignment_id: int,
    assigned_at: datetime,
    interval_days: int,
    settings: Settings,
) -> datetime:
    """When the new status's call falls due; the responsible manager is told in the inbox."""
    calendar, tz = calendar_of(session, manager, settings)
    at = due_after(calendar, assigned_at, interval_days, tz)
    if manager is not None:
        inbox.tell(
            session,
            f"call-planned:{assignment_id}",
            manager,
            _("Call with {subject} planned for {when}"),
            subject=subject.name,
            when=at,
        )
    return at


def status_history(session: Session, kind: str, subject_id: int) -> list[StatusAssignment]:
    """Every assignment of the subject, oldest first; a converted lead's history included."""
    subject = load(session, kind, subject_id)
    mine: ColumnElement[bool] = (StatusAssignment.subject_kind == kind) & (
        StatusAssignment.subject_id == subject.id
    )
    lead_id = getattr(subject, "lead_id", None)
    if lead_id is not None:
        came_from = (StatusAssignment.subject_kind == "lead") & (
            StatusAssignment.subject_id == lead_id
        )
        mine = or_(mine, came_from)
    return list(session.scalars(select(StatusAssignment).where(mine).order_by(StatusAssignment.id)))
