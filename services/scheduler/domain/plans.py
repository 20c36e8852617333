"""Rules of call plans: one per subject, planned from its status, re-planned on every change.

Each rule takes the current plan (or None) and a fact, and returns the new plan, or None
when the fact changes nothing (a stale or repeated fact, or a subject without a plan).
Every change bumps ``revision``, which the CRM's read model uses to ignore older news.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.calendar import WorkingCalendar, due_after, within_working_hours, zone

PLANNED, DUE, REMOVED = "planned", "due", "removed"


@dataclass(frozen=True)
class StatusRule:
    """What an interaction status says about calls, at one version of the status."""

    status_id: int
    version: int
    generate_calls: bool
    interval_days: int


@dataclass(frozen=True)
class Plan:
    """A subject's next call; ``state`` is planned (waiting), due (emitted) or removed."""

    subject_kind: str
    subject_id: int
    responsible_id: int | None = None
    timezone: str = "UTC"
    department: str | None = None  # the responsible's: whose working calendar applies
    status_id: int | None = None
    status_version: int = 0
    assignment_id: int | None = None
    interval_days: int = 0
    anchor_at: datetime | None = None  # what the interval counts from: assignment or last call
    next_call_at: datetime | None = None
    state: str = REMOVED
    archived: bool = False  # removed for good, not because the status generates no calls
    rescheduled: bool = False  # a manager chose next_call_at; re-plans keep it
    revision: int = 0


def assign_status(
    plan: Plan | None,
    *,
    subject_kind: str,
    subject_id: int,
    assignment_id: int,
    rule: StatusRule,
    responsible_id: int | None,
    timezone: str,
    department: str | None,
    assigned_at: datetime,
    calendar: WorkingCalendar,
) -> Plan | None:
    """A new status plans the next call an interval after the assignment, or removes the plan.

    ``rule`` is the newest known version of the status, so an assignment that arrives after
    the status's interval changed is planned with the new interval.
    """
    if plan is None:
        plan = Plan(subject_kind, subject_id)
    elif plan.assignment_id is not None and assignment_id <= plan.assignment_id:
        return None  # an older assignment delivered late
    plan = replace(
        plan,
        responsible_id=responsible_id,
        timezone=timezone,
        department=department,
        assignment_id=assignment_id,
        anchor_at=assigned_at,
        archived=False,
        rescheduled=False,
    )
    return _apply_rule(plan, rule, calendar)


def change_status_rule(plan: Plan, rule: StatusRule, calendar: WorkingCalendar) -> Plan | None:
    """The status's interval or call flag changed: re-plan a subject that holds it.

    A call already emitted stays with its manager; the new interval applies from the
    completed call. A manager's own reschedule is kept.
    """
    if plan.status_id != rule.status_id or plan.status_version >= rule.version or plan.archived:
        return None
    if plan.state == DUE and rule.generate_calls:
        return _bump(replace(plan, status_version=rule.version, interval_days=rule.interval_days))
    return _apply_rule(plan, rule, calendar)


def complete_call(
    plan: Plan | None, completed_at: datetime, calendar: WorkingCalendar
) -> Plan | None:
    """A completed call plans the next one an interval later: the loop of regular contact."""
    if plan is None or plan.state == REMOVED:
        return None
    if plan.anchor_at is not None and completed_at <= plan.anchor_at:
        return None  # a call from before the current status or last completion
    return _bump(
        replace(
            plan,
            anchor_at=completed_at,
            next_call_at=_due(plan, completed_at, calendar),
            state=PLANNED,
            rescheduled=False,
        )
    )


def reschedule(plan: Plan | None, due_at: datetime) -> Plan | None:
    """A manager moves the planned call to another moment."""
    if plan is None or plan.state == REMOVED:
        return None
    if plan.state == PLANNED and plan.next_call_at == due_at:
        return None
    return _bump(replace(plan, next_call_at=due_at, state=PLANNED, rescheduled=True))


def change_responsible(
    plan: Plan | None,
    responsible_id: int | None,
    timezone: str,
    department: str | None,
    calendar: WorkingCalendar,
) -> Plan | None:
    """A new manager, or theirs moved to another time zone or department: the waiting call
    moves into that manager's working day."""
    if plan is None or (plan.responsible_id, plan.timezone, plan.department) == (
        responsible_id,
        timezone,
        department,
    ):
        return None
    plan = replace(plan, responsible_id=responsible_id, timezone=timezone, department=department)
    if plan.state == PLANNED and not plan.rescheduled and plan.anchor_at is not None:
        plan = replace(plan, next_call_at=_due(plan, plan.anchor_at, calendar))
    return _bump(plan)


def recalendar(plan: Plan, calendar: WorkingCalendar) -> Plan | None:
    """The working calendar changed (a holiday, the week, the hours): the waiting call follows.

    A call counted from its anchor is counted again; one a manager moved by hand stays
    unless it now falls on a day off, when it moves into the next working hours.
    """
    if plan.state != PLANNED or plan.archived or plan.next_call_at is None:
        return None
    if not plan.rescheduled and plan.anchor_at is not None:
        next_call_at = _due(plan, plan.anchor_at, calendar)
    elif calendar.is_working_day(plan.next_call_at.astimezone(zone(plan.timezone)).date()):
        return None
    else:
        next_call_at = within_working_hours(calendar, plan.next_call_at, plan.timezone)
    if next_call_at == plan.next_call_at:
        return None
    return _bump(replace(plan, next_call_at=next_call_at))


def archive(plan: Plan | None, subject_kind: str, subject_id: int) -> Plan:
    """An archived subject gets no calls; the tombstone stops a late assignment reviving it."""
    plan = plan or Plan(subject_kind, subject_id)
    return _bump(replace(plan, state=REMOVED, next_call_at=None, archived=True))


def convert_lead(lead_plan: Plan, counterparty_has_plan: bool, counterparty_id: int) -> Plan:
    """A converted lead's plan continues as its counterparty's.

    If the counterparty already has a plan, it came from a status assigned after the
    conversion, so it wins and the lead's plan ends.
    """
    if counterparty_has_plan:
        return _bump(replace(lead_plan, state=REMOVED, next_call_at=None, archived=True))
    return _bump(replace(lead_plan, subject_kind="counterparty", subject_id=counterparty_id))


def _apply_rule(plan: Plan, rule: StatusRule, calendar: WorkingCalendar) -> Plan:
    plan = replace(
        plan,
        status_id=rule.status_id,
        status_version=rule.version,
        interval_days=rule.interval_days,
    )
    if not rule.generate_calls:
        return _bump(replace(plan, state=REMOVED, next_call_at=None, rescheduled=False))
    next_call_at = plan.next_call_at
    if not plan.rescheduled and plan.anchor_at is not None:
        next_call_at = _due(plan, plan.anchor_at, calendar)
    return _bump(replace(plan, state=PLANNED, next_call_at=next_call_at))


def _due(plan: Plan, start: datetime, calendar: WorkingCalendar) -> datetime:
    return due_after(calendar, start, plan.interval_days, plan.timezone)


def _bump(plan: Plan) -> Plan:
    return replace(plan, revision=plan.revision + 1)
