"""Planned calls as the CRM shows them: the calls panel and rescheduling.

The scheduler owns the call plans and is the only service that knows the time;
the CRM never reads its tables. The CRM keeps a read model instead (``crm.call_plans``,
``CallPlanView``), fed by the scheduler's ``CallPlanned`` events (and, for the revision
of a plan falling due, by the call's task: see ``mark_due``): each carries the whole plan
and a revision that grows with every change, so applying it is an upsert
that keeps the newest revision and ignores older or repeated ones, in whatever order
they arrive. Answering the panel from a local table keeps it fast and available when
the scheduler is not, and joins the subject's name here, where names live.

Moving a call goes the other way, as a ``RescheduleCall`` command written to the CRM
outbox in the request's transaction; the relay delivers it to the scheduler's queue.
The API answers 202: the read model shows the new time once the scheduler has
re-planned and sent the next ``CallPlanned``.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    CompoundSelect,
    Integer,
    Select,
    Update,
    bindparam,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import (
    CallPlanView,
    Counterparty,
    Employee,
    InteractionStatus,
    Lead,
)
from services.crm.adapters.work import Interaction, Task
from services.crm.domain.calls import (
    ACTIVE_STATES,
    day_window,
    is_overdue,
    plans_scope,
)
from services.crm.domain.errors import Conflict, Invalid
from services.crm.domain.roles import Actor
from services.crm.handlers import ownership, subjects
from services.crm.handlers.common import paginate
from shared.db import table_of, utcnow
from shared.i18n import _
from shared.messages import CallPlanned, RescheduleCall

log = logging.getLogger(__name__)

PLAN_FIELDS = (
    "plan_id",
    "subject_kind",
    "subject_id",
    "responsible_id",
    "status_id",
    "next_call_at",
    "state",
    "revision",
)


def apply_call_planned(session: Session, plan: CallPlanned) -> bool:
    """Store a plan unless a newer or equal revision is already stored; True if applied."""
    return bool(apply_calls_planned(session, [plan]))


def apply_calls_planned(session: Session, plans: list[CallPlanned]) -> set[tuple[int, int]]:
    """:func:`apply_call_planned` for many plans in one statement; the (plan id, revision)
    pairs applied."""
    newest: dict[int, CallPlanned] = {}
    for plan in plans:
        # Of two revisions of one plan the newer wins, in whatever order they are applied.
        if plan.plan_id not in newest or newest[plan.plan_id].revision < plan.revision:
            newest[plan.plan_id] = plan
    if not newest:
        return set()
    table = table_of(CallPlanView)
    stmt = insert(table)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.plan_id],
        set_={
            **{name: stmt.excluded[name] for name in PLAN_FIELDS[1:]},
            "updated_at": func.now(),
        },
        # The row lock of the conflict serialises concurrent revisions of one plan.
        where=table.c.revision < stmt.excluded.revision,
    ).returning(table.c.plan_id, table.c.revision)
    # updated_at: the column's default, now() of the transaction, as on the update.
    rows = [{name: getattr(plan, name) for name in PLAN_FIELDS} for plan in newest.values()]
    return {(row.plan_id, row.revision) for row in session.execute(upsert, rows)}


def on_call_planned(session: Session, env: dict[str, Any], message: CallPlanned) -> None:
    """CallPlanned: the scheduler planned, moved, emitted or removed a subject's call."""
    on_calls_planned(session, [message])


def on_calls_planned(session: Session, messages: list[CallPlanned]) -> None:
    """:func:`on_call_planned` for many messages, in one statement."""
    applied = apply_calls_planned(session, messages)
    for message in messages:
        if (message.plan_id, message.revision) not in applied:
            log.info(
                "stale call plan ignored",
                extra={"plan_id": message.plan_id, "revision": message.revision},
            )


def mark_due(session: Session, revisions: dict[int, int]) -> None:
    """The plans' calls fell due and went to managers as tasks: plan id -> its due revision.

    One statement for them all; a plan already at that revision or past it is left as it is.
    """
    if revisions:
        params = {"plans": list(revisions), "revisions": list(revisions.values())}
        session.execute(_MARK_DUE, params)


def _mark_due() -> Update:
    # Built once, with the arrays given at execution (task_commands.py says why).
    due = select(
        func.unnest(bindparam("plans", type_=ARRAY(Integer))).label("plan_id"),
        func.unnest(bindparam("revisions", type_=ARRAY(Integer))).label("revision"),
    ).subquery("due")
    plans = table_of(CallPlanView)
    return (
        update(plans)
        .where(plans.c.plan_id == due.c.plan_id, plans.c.revision < due.c.revision)
        .values(state="due", revision=due.c.revision, updated_at=func.now())
    )


_MARK_DUE = _mark_due()


def list_plans(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    responsible_id: int | None = None,
    status_id: int | None = None,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    overdue: bool | None = None,
    state: str | None = None,
    day: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Live plans (planned or due) in due order, with the subject's name and an overdue flag.

    The filters of document 001's calls panel: status, manager, planned or due, overdue, a
    day or a period of the due time (in the reader's zone) and the customer. A manager's calls
    are those of the subjects they are responsible for and the due calls given to them in turn
    (the open call task of the plan is theirs).
    """
    now = now or utcnow()
    responsible_id = plans_scope(actor, responsible_id)
    base = select(CallPlanView).where(
        CallPlanView.state.in_(ACTIVE_STATES),
        or_(
            ownership.covered(actor, CallPlanView.responsible_id),
            ownership.covered(actor, _assignee()),
        ),
    )
    base = _customer(base, CallPlanView, subject_kind, subject_id)
    base = _within(
        base, CallPlanView.next_call_at, _window(session, actor, day, date_from, date_to, now)
    )
    if status_id is not None:
        base = base.where(CallPlanView.status_id == status_id)
    if state is not None:
        base = base.where(CallPlanView.state == state)
    if overdue is True:
        base = base.where(CallPlanView.next_call_at < now)
    elif overdue is False:
        base = base.where(
            or_(CallPlanView.next_call_at >= now, CallPlanView.next_call_at.is_(None))
        )
    if responsible_id is None:
        rows, total = paginate(session, _named(base), page, page_size, rows=True)
    else:
        rows, total = _page_of_manager(session, base, responsible_id, page, page_size)
    return [
        {**_item(plan, subject_name, status_name, now), "assignee_id": given_to}
        for plan, subject_name, _, status_name, given_to in rows
    ], total


def _named(stmt: Select) -> Select:
    """Plans with their subject's name, status name and assignee, in due order."""
    return (
        with_subject(stmt, CallPlanView.subject_kind, CallPlanView.subject_id)
        .add_columns(InteractionStatus.name, _assignee())
        .outerjoin(InteractionStatus, InteractionStatus.id == CallPlanView.status_id)
        .order_by(CallPlanView.next_call_at.asc().nulls_last(), CallPlanView.plan_id)
    )


def _page_of_manager(
    session: Session, base: Select, manager_id: int, page: int, page_size: int
) -> tuple[list[Any], int]:
    """One manager's page: the plans' keys counted and paged first, from the index alone
    (ix_call_plans_live_responsible), then the page's rows with names and assignees."""
    keys = _held_or_given(
        base.with_only_columns(CallPlanView.plan_id, CallPlanView.next_call_at), manager_id
    ).subquery("keys")
    ordered = select(keys.c.plan_id).order_by(
        keys.c.next_call_at.asc().nulls_last(), keys.c.plan_id
    )
    ids, total = paginate(session, ordered, page, page_size)
    if not ids:
        return [], total
    return list(
        session.execute(_named(select(CallPlanView).where(CallPlanView.plan_id.in_(ids))))
    ), total


def _assignee() -> Any:
    """SQL: who was given the plan's due call (the assignee of its open call task), if anyone."""
    return (
        select(Task.assignee_id)
        .where(Task.plan_id == CallPlanView.plan_id, Task.state == "open", Task.kind == "call")
        .order_by(Task.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _held_or_given(base: Select, manager_id: int) -> CompoundSelect:
    """One manager's calls in two disjoint parts: the plans they are responsible for, then
    others' plans whose due call was given to them.

    One condition (responsible OR given) cannot use an index: among a million plans the
    database would look for the open task of each. Apart, the first part reads the
    manager's entries of ix_call_plans_live_responsible, the second their open call tasks.
    """
    given = select(Task.plan_id).where(
        Task.assignee_id == manager_id,
        Task.state == "open",
        Task.kind == "call",
        Task.plan_id.is_not(None),
    )
    return union_all(
        base.where(CallPlanView.responsible_id == manager_id),
        base.where(
            CallPlanView.responsible_id.is_distinct_from(manager_id),
            CallPlanView.plan_id.in_(given),
            _assignee() == manager_id,
        ),
    )


def _customer(stmt: Select, model: Any, kind: str | None, subject_id: int | None) -> Select:
    """Only one customer's calls; a subject id names a customer only with its kind."""
    if subject_id is not None and kind is None:
        raise Invalid("subject_kind", _("required with subject_id"))
    if kind is not None:
        stmt = stmt.where(model.subject_kind == kind)
    if subject_id is not None:
        stmt = stmt.where(model.subject_id == subject_id)
    return stmt


def _window(
    session: Session,
    actor: Actor,
    day: str | None,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
) -> tuple[datetime | None, datetime | None] | None:
    """The day filter in the reader's own time zone ("today" is their today)."""
    if day is None and date_from is None and date_to is None:
        return None
    reader = session.get(Employee, actor.id)
    return day_window(day, date_from, date_to, reader.timezone if reader else "UTC", now)


def _within(stmt: Select, column: Any, window: tuple | None) -> Select:
    start, end = window or (None, None)
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


# The name and current status of the subject joined in by with_subject().
_subject_name = func.coalesce(Lead.name, Counterparty.name)
_subject_status = func.coalesce(Lead.status_id, Counterparty.status_id)


def with_subject(stmt: Select, kind: Any, subject_id: Any) -> Select:
    """Add the name and current status of the lead or counterparty a row is about."""
    lead = (kind == "lead") & (Lead.id == subject_id)
    counterparty = (kind == "counterparty") & (Counterparty.id == subject_id)
    return (
        stmt.add_columns(_subject_name, _subject_status)
        .outerjoin(Lead, lead)
        .outerjoin(Counterparty, counterparty)
    )


def _item(
    plan: CallPlanView, subject_name: str | None, status_name: str | None, now: datetime
) -> dict[str, Any]:
    return {
        **{name: getattr(plan, name) for name in (*PLAN_FIELDS, "updated_at")},
        "subject_name": subject_name,
        "status_name": status_name,
        "overdue": is_overdue(plan.next_call_at, plan.state, now),
    }


def live_plan(session: Session, kind: str, subject_id: int) -> CallPlanView | None:
    """The subject's planned or due call, if the scheduler has one."""
    return session.scalar(
        select(CallPlanView)
        .where(
            CallPlanView.subject_kind == kind,
            CallPlanView.subject_id == subject_id,
            CallPlanView.state.in_(ACTIVE_STATES),
        )
        .order_by(CallPlanView.revision.desc(), CallPlanView.plan_id.desc())
        .limit(1)
    )


def request_reschedule(
    session: Session, actor: Actor, kind: str, subject_id: int, due_at: datetime
) -> dict[str, Any]:
    """Ask the scheduler to move the subject's planned call to ``due_at`` (via the outbox)."""
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise Invalid("due_at", "must carry a time zone offset, e.g. 2026-12-01T10:00:00+01:00")
    ownership.require_change_of(session, actor, kind, subject_id)
    subject = subjects.load(session, kind, subject_id)
    plan = live_plan(session, kind, subject.id)
    if plan is None:
        raise Conflict(f"{kind} {subject.id} has no planned call to reschedule")
    request = RescheduleCall(
        subject_kind=kind,
        subject_id=subject.id,
        due_at=due_at.astimezone(UTC),
        requested_by_id=actor.id,
    )
    row = outbox.record(session, kind, subject.id, request)
    return {
        **dataclasses.asdict(request),
        "plan_id": plan.plan_id,
        "message_id": row.message_id,
    }


def list_done_calls(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    responsible_id: int | None = None,
    status_id: int | None = None,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    day: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Calls made (recorded call interactions), most recent first, with the same filters."""
    responsible_id = plans_scope(actor, responsible_id)
    stmt = with_subject(
        select(Interaction), Interaction.subject_kind, Interaction.subject_id
    ).where(
        Interaction.kind == "call",
        Interaction.state == "completed",
        ownership.covered(actor, Interaction.responsible_id),
    )
    if responsible_id is not None:
        stmt = stmt.where(Interaction.responsible_id == responsible_id)
    if status_id is not None:
        stmt = stmt.where(_subject_status == status_id)
    stmt = _customer(stmt, Interaction, subject_kind, subject_id)
    window = _window(session, actor, day, date_from, date_to, now or utcnow())
    stmt = _within(stmt, Interaction.ended_at, window)
    stmt = stmt.order_by(Interaction.ended_at.desc(), Interaction.id.desc())
    rows, total = paginate(session, stmt, page, page_size, rows=True)
    return [
        {
            "interaction_id": call.id,
            "subject_kind": call.subject_kind,
            "subject_id": call.subject_id,
            "subject_name": name,
            "status_id": current_status,
            "responsible_id": call.responsible_id,
            "outcome": call.outcome,
            "result": call.content,
            "task_id": call.task_id,
            "done_at": call.ended_at,
        }
        for call, name, current_status in rows
    ], total
