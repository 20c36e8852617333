"""Use cases of call plans: each event loads the subject's plan, applies a rule and saves it.

Saving bumps the plan's revision; the tick publishes ``CallPlanned`` for it after commit.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.scheduler.adapters import calendar_store, plan_store, replanner
from services.scheduler.domain import plans
from services.scheduler.domain.plans import Plan, StatusRule
from shared.calendar import CompanyCalendar
from shared.config import Settings
from shared.messages import (
    CallCompleted,
    EmployeeChanged,
    InteractionStatusChanged,
    LeadConverted,
    RescheduleCall,
    ResponsibleChanged,
    StatusAssigned,
    SubjectArchived,
    WorkingCalendarChanged,
)

log = logging.getLogger(__name__)


def status_assigned(
    session: Session, env: dict[str, Any], message: StatusAssigned, settings: Settings
) -> None:
    """StatusAssigned: plan the subject's next call from its new status, or remove the plan."""
    rule = plan_store.newest_rule(
        session,
        StatusRule(
            message.status_id,
            message.status_version,
            message.generate_calls,
            message.call_interval_days,
        ),
    )
    kind, subject_id = message.subject_kind, message.subject_id
    row = plan_store.find(session, kind, subject_id)
    if row is None and plan_store.converted_lead(session, kind, subject_id):
        log.info("assignment to a converted lead ignored", extra={"lead_id": subject_id})
        return
    plan = plans.assign_status(
        plan_store.to_plan(row),
        subject_kind=kind,
        subject_id=subject_id,
        assignment_id=message.assignment_id,
        rule=rule,
        responsible_id=message.responsible_id,
        timezone=message.responsible_timezone,
        department=message.responsible_department,
        assigned_at=message.assigned_at,
        calendar=calendar_store.load(session, settings).for_department(
            message.responsible_department
        ),
    )
    _save(session, row, plan)


def status_changed(
    session: Session, env: dict[str, Any], message: InteractionStatusChanged
) -> None:
    """InteractionStatusChanged: re-plan every subject planned from an older version.

    A status may be held by a million subjects: this records the rule and a re-plan job,
    which the tick works off in batches that each commit (adapters/replanner.py).
    ``active`` is not a call rule: a retired status cannot be assigned any more, but the
    subjects still holding it keep their calls until someone gives them another status.
    """
    rule = plan_store.newest_rule(
        session,
        StatusRule(
            message.status_id, message.version, message.generate_calls, message.call_interval_days
        ),
    )
    replanner.start(session, rule)
    log.info("status re-plan started", extra={"status_id": rule.status_id, "version": rule.version})


def responsible_changed(
    session: Session, env: dict[str, Any], message: ResponsibleChanged, settings: Settings
) -> None:
    """ResponsibleChanged: the plan follows the new manager and their working day."""
    row = plan_store.find(session, message.subject_kind, message.subject_id)
    department = message.responsible_department
    plan = plans.change_responsible(
        plan_store.to_plan(row),
        message.responsible_id,
        message.responsible_timezone,
        department,
        calendar_store.load(session, settings).for_department(department),
    )
    _save(session, row, plan)


def employee_changed(
    session: Session, env: dict[str, Any], message: EmployeeChanged, settings: Settings
) -> None:
    """EmployeeChanged: a manager's new time zone or department re-plans their waiting calls."""
    company = calendar_store.load(session, settings)
    calendar = company.for_department(message.department)
    changed = 0
    for row in plan_store.of_responsible(session, message.employee_id):
        plan = plans.change_responsible(
            plan_store.plan_of(row),
            row.responsible_id,
            message.timezone,
            message.department,
            calendar,
        )
        changed += _save(session, row, plan)
    if changed:
        log.info(
            "manager's calls re-planned",
            extra={"employee_id": message.employee_id, "plans": changed},
        )


def calendar_changed(
    session: Session, env: dict[str, Any], message: WorkingCalendarChanged, settings: Settings
) -> None:
    """WorkingCalendarChanged: keep the newest calendar and move the calls it changes."""
    before = calendar_store.load(session, settings)
    if not calendar_store.replace_snapshot(session, message.revision, env["data"]):
        log.info("older calendar ignored", extra={"revision": message.revision})
        return
    after = calendar_store.load(session, settings)
    changed = 0
    for row in _touched_by(session, before, after):
        calendar = after.for_department(row.department)
        changed += _save(session, row, plans.recalendar(plan_store.plan_of(row), calendar))
    log.info("calendar applied", extra={"revision": message.revision, "plans": changed})


def _touched_by(session: Session, before: CompanyCalendar, after: CompanyCalendar) -> list:
    """Plans a calendar change may move: every waiting one if a week or hours changed, else
    those whose span from anchor to call holds a day that became or stopped being a holiday."""
    if _weeks(before) != _weeks(after):
        return plan_store.waiting(session)
    days = {day for _, day in _holidays(before) ^ _holidays(after)}
    if not days:
        return []
    # A day shifts calls whose local anchor date is before it and whose local call date is
    # on or after it; a day of margin either side covers every time zone.
    return plan_store.waiting(
        session, spanning=(min(days) - timedelta(days=1), max(days) + timedelta(days=2))
    )


def _weeks(company: CompanyCalendar) -> tuple:
    return tuple(
        (name, c.workdays, c.work_start, c.work_end, c.call_time)
        for name, c in sorted({"": company.default, **company.departments}.items())
    )


def _holidays(company: CompanyCalendar) -> set[tuple[str | None, date]]:
    days: set[tuple[str | None, date]] = {(None, d) for d in company.default.holidays}
    for department, own in company.department_holidays.items():
        days |= {(department, d) for d in own}
    return days


def subject_archived(session: Session, env: dict[str, Any], message: SubjectArchived) -> None:
    """SubjectArchived: no more calls to an archived lead or counterparty."""
    kind, subject_id = message.subject_kind, message.subject_id
    row = plan_store.find(session, kind, subject_id)
    if row is None and plan_store.converted_lead(session, kind, subject_id):
        return
    _save(session, row, plans.archive(plan_store.to_plan(row), kind, subject_id))


def lead_converted(session: Session, env: dict[str, Any], message: LeadConverted) -> None:
    """LeadConverted: the lead's plan moves to the counterparty made from it."""
    row = plan_store.find(session, "lead", message.lead_id)
    if row is None:
        return
    has_plan = plan_store.find(session, "counterparty", message.counterparty_id) is not None
    plan = plans.convert_lead(plan_store.plan_of(row), has_plan, message.counterparty_id)
    if not has_plan:
        row.lead_id = message.lead_id
    _save(session, row, plan)


def call_completed(
    session: Session, env: dict[str, Any], message: CallCompleted, settings: Settings
) -> None:
    """CallCompleted: plan the next call one interval after this one."""
    row = plan_store.find(session, message.subject_kind, message.subject_id)
    calendar = calendar_store.load(session, settings).for_department(
        row.department if row else None
    )
    plan = plans.complete_call(plan_store.to_plan(row), message.completed_at, calendar)
    _save(session, row, plan)


def reschedule_call(session: Session, env: dict[str, Any], message: RescheduleCall) -> None:
    """RescheduleCall: a manager moves the subject's next call to ``due_at``."""
    row = plan_store.find(session, message.subject_kind, message.subject_id)
    plan = plans.reschedule(plan_store.to_plan(row), message.due_at)
    if plan is None and (row is None or row.state == plans.REMOVED):
        log.warning(
            "reschedule of a subject without a plan ignored",
            extra={"subject_kind": message.subject_kind, "subject_id": message.subject_id},
        )
    _save(session, row, plan)


def _save(session: Session, row: Any, plan: Plan | None) -> int:
    if plan is None:
        return 0
    plan_store.save(session, row, plan)
    return 1
