"""Loading and saving call plans and status rules inside the caller's transaction."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.scheduler.adapters.orm import CallPlan, StatusRuleRow
from services.scheduler.domain.plans import PLANNED, Plan, StatusRule
from shared.db import table_of

PLAN_FIELDS = tuple(f.name for f in fields(Plan))


def find(session: Session, kind: str, subject_id: int) -> CallPlan | None:
    """The subject's plan row, locked until the transaction ends."""
    stmt = (
        select(CallPlan)
        .where(CallPlan.subject_kind == kind, CallPlan.subject_id == subject_id)
        .with_for_update()
    )
    return session.scalars(stmt).first()


def converted_lead(session: Session, kind: str, subject_id: int) -> bool:
    """Whether news about this subject concerns a lead whose plan moved to its counterparty."""
    if kind != "lead":
        return False
    stmt = select(CallPlan.id).where(CallPlan.lead_id == subject_id).limit(1)
    return session.scalar(stmt) is not None


def of_responsible(session: Session, employee_id: int) -> list[CallPlan]:
    """A manager's plans, locked, in id order."""
    stmt = (
        select(CallPlan)
        .where(CallPlan.responsible_id == employee_id)
        .order_by(CallPlan.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def waiting(session: Session, spanning: tuple[date, date] | None = None) -> list[CallPlan]:
    """Planned calls, locked, in id order; ``spanning`` keeps those whose span from anchor
    to call may hold a day between the two dates (UTC midnights)."""
    stmt = select(CallPlan).where(CallPlan.state == PLANNED, CallPlan.archived.is_(False))
    if spanning is not None:
        lo, hi = (datetime.combine(d, time(0), tzinfo=UTC) for d in spanning)
        stmt = stmt.where(
            CallPlan.next_call_at >= lo,
            or_(
                and_(CallPlan.rescheduled.is_(False), CallPlan.anchor_at < hi),
                CallPlan.next_call_at < hi,
            ),
        )
    return list(session.scalars(stmt.order_by(CallPlan.id).with_for_update()))


def plan_of(row: CallPlan) -> Plan:
    return Plan(**{name: getattr(row, name) for name in PLAN_FIELDS})


def to_plan(row: CallPlan | None) -> Plan | None:
    return None if row is None else plan_of(row)


def save(session: Session, row: CallPlan | None, plan: Plan) -> CallPlan:
    """Write the plan into its row (a new row when ``row`` is None)."""
    if row is None:
        row = CallPlan()
        session.add(row)
    elif row.quarantined_at is not None and row.next_call_at != plan.next_call_at:
        # Planned anew: a plan set aside for its old due time is tried again.
        row.quarantined_at = row.quarantine_reason = None
    for name in PLAN_FIELDS:
        setattr(row, name, getattr(plan, name))
    session.flush()
    return row


def newest_rule(session: Session, seen: StatusRule) -> StatusRule:
    """Record a version of a status's rule and return the newest one known.

    Locks the status's row first, so every handler touching a status takes its locks in the
    same order (status, then plans) and two of them never deadlock.
    """
    table = table_of(StatusRuleRow)
    values = {
        "status_id": seen.status_id,
        "version": seen.version,
        "generate_calls": seen.generate_calls,
        "interval_days": seen.interval_days,
    }
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.status_id],
        set_={k: stmt.excluded[k] for k in values if k != "status_id"},
        where=table.c.version < stmt.excluded.version,
    )
    session.execute(stmt)
    row = session.execute(
        select(table).where(table.c.status_id == seen.status_id).with_for_update()
    ).one()
    return StatusRule(row.status_id, row.version, row.generate_calls, row.interval_days)
