"""The working calendar, a reference book the CRM owns: the company's week and hours, the
departments' own, and holidays. Admins edit it; every change is sent whole to the scheduler
as ``WorkingCalendarChanged``, so both compute call times with the same shared functions
(shared/calendar.py) from the same data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.calendar import CalendarRevision, Holiday, WorkingWeek
from services.crm.adapters.orm import Employee
from services.crm.domain.errors import Conflict, Invalid, NotFound
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import get, paginate
from shared.calendar import (
    CompanyCalendar,
    WorkingCalendar,
    configured,
    from_snapshot,
    parse_workdays,
    week_entry,
)
from shared.config import Settings
from shared.db import utcnow
from shared.i18n import _
from shared.messages import WorkingCalendarChanged

# Holidays further back than this no longer move any call; the snapshot leaves them out.
HOLIDAYS_KEPT_BACK = timedelta(days=366)


def snapshot(session: Session) -> dict[str, Any]:
    """The calendar as the ``WorkingCalendarChanged`` event carries it (JSON primitives)."""
    weeks = session.scalars(select(WorkingWeek).order_by(WorkingWeek.department.nulls_first()))
    default, departments = None, []
    for week in weeks:
        entry = week_entry(_calendar_of(week), week.department)
        if week.department is None:
            default = entry
        else:
            departments.append(entry)
    since = utcnow().date() - HOLIDAYS_KEPT_BACK
    holidays = session.scalars(
        select(Holiday).where(Holiday.day >= since).order_by(Holiday.day, Holiday.id)
    )
    return {
        "default": default,
        "departments": departments,
        "holidays": [
            {"day": h.day.isoformat(), "department": h.department, "name": h.name} for h in holidays
        ],
    }


def company_calendar(session: Session, settings: Settings) -> CompanyCalendar:
    """The calendar in force, built exactly as the scheduler builds it from the snapshot.

    Every call task needs it: the one built last is kept, under the calendar's revision
    (which every change bumps in its own transaction, so a revision read before the rows
    never labels older rows), the day (the snapshot keeps a year of holidays back from
    today) and the configured defaults.
    """
    revision = session.scalar(_REVISION)
    key = (
        revision,
        utcnow().date(),
        settings.scheduler_workdays,
        settings.scheduler_work_hours,
        settings.scheduler_holidays,
    )
    built = _built.get(key)
    if built is None:
        built = from_snapshot(snapshot(session), configured(settings))
        _built.clear()
        _built[key] = built
    return built


# Read on every call task and status assignment: built once.
_REVISION = select(CalendarRevision.revision).where(CalendarRevision.id == 1)

# The calendar company_calendar built last, by its key (one entry).
_built: dict[tuple, CompanyCalendar] = {}


def calendar_of(
    session: Session,
    employee: Employee | None,
    settings: Settings,
    company: CompanyCalendar | None = None,
) -> tuple[WorkingCalendar, str]:
    """The working calendar and time zone an employee's calls land in; ``company`` is the
    calendar in force when the caller has it already (for a group of calls)."""
    company = company or company_calendar(session, settings)
    if employee is None:
        return company.default, "UTC"
    return company.for_department(employee.department), employee.timezone


def _calendar_of(week: WorkingWeek) -> WorkingCalendar:
    return WorkingCalendar(
        parse_workdays(week.workdays), week.work_start, week.work_end, call_time=week.call_time
    )


def show_week(
    session: Session, settings: Settings, department: str | None = None
) -> dict[str, Any]:
    """A calendar's week and hours; the configured default while the company saved none."""
    week = _week(session, department)
    if week is not None:
        return {**week_entry(_calendar_of(week), department), "source": "saved"}
    if department is not None:
        raise NotFound("working calendar of department", department)
    return {**week_entry(configured(settings)), "source": "configuration"}


def list_department_weeks(session: Session) -> list[dict[str, Any]]:
    weeks = session.scalars(
        select(WorkingWeek)
        .where(WorkingWeek.department.is_not(None))
        .order_by(WorkingWeek.department)
    )
    return [{**week_entry(_calendar_of(w), w.department), "source": "saved"} for w in weeks]


def save_week(
    session: Session, actor: Actor, department: str | None, fields: dict[str, Any]
) -> dict[str, Any]:
    """Set the company's (or a department's) week and hours; the scheduler re-plans."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    if department is not None and len(department) > 200:
        raise Invalid("department", _("at most 200 characters"))
    if fields["work_start"] >= fields["work_end"]:
        raise Invalid("work_end", _("must come after work_start"))
    call_time = fields.get("call_time")
    if call_time is not None and not fields["work_start"] <= call_time < fields["work_end"]:
        raise Invalid("call_time", _("must fall inside the working hours"))
    _lock_revision(session)
    week = _week(session, department, lock=True)
    if week is None:
        week = WorkingWeek(department=department)
        session.add(week)
    week.workdays = ",".join(fields["workdays"])
    week.work_start, week.work_end, week.call_time = (
        fields["work_start"],
        fields["work_end"],
        call_time,
    )
    session.flush()
    changed(session)
    return {**week_entry(_calendar_of(week), department), "source": "saved"}


def delete_week(session: Session, actor: Actor, department: str) -> None:
    """A department goes back to the company's week and hours."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _lock_revision(session)
    week = _week(session, department, lock=True)
    if week is None:
        raise NotFound("working calendar of department", department)
    session.delete(week)
    session.flush()
    changed(session)


def _week(session: Session, department: str | None, *, lock: bool = False) -> WorkingWeek | None:
    column = WorkingWeek.department
    stmt = select(WorkingWeek).where(
        column.is_(None) if department is None else column == department
    )
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def list_holidays(
    session: Session,
    *,
    page: int,
    page_size: int,
    year: int | None = None,
    department: str | None = None,
) -> tuple[list[Holiday], int]:
    """Holidays in date order; ``department`` gives the company's and that department's."""
    stmt = select(Holiday).order_by(Holiday.day, Holiday.id)
    if year is not None:
        stmt = stmt.where(extract("year", Holiday.day) == year)
    if department is not None:
        stmt = stmt.where(Holiday.department.is_(None) | (Holiday.department == department))
    return paginate(session, stmt, page, page_size)


def add_holiday(session: Session, actor: Actor, fields: dict[str, Any]) -> Holiday:
    """A new day off; the scheduler moves the calls planned on it to the next working day."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _lock_revision(session)
    department = fields.get("department")
    same = select(Holiday.id).where(
        Holiday.day == fields["day"],
        Holiday.department.is_(None) if department is None else Holiday.department == department,
    )
    if session.scalar(same) is not None:
        raise Conflict(f"{fields['day'].isoformat()} is already a holiday there")
    holiday = Holiday(**fields)
    session.add(holiday)
    session.flush()
    changed(session)
    return holiday


def get_holiday(session: Session, holiday_id: int) -> Holiday:
    return get(session, Holiday, holiday_id, "holiday")


def remove_holiday(session: Session, actor: Actor, holiday_id: int) -> None:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _lock_revision(session)
    session.delete(get(session, Holiday, holiday_id, "holiday", lock=True))
    session.flush()
    changed(session)


def _lock_revision(session: Session) -> CalendarRevision:
    """Serialise calendar changes, so their snapshots are numbered in commit order."""
    row = session.get(CalendarRevision, 1, with_for_update=True)
    if row is None:
        row = CalendarRevision(id=1, revision=0)
        session.add(row)
        session.flush()
    return row


def changed(session: Session) -> int:
    """Send the whole calendar to the scheduler under the next revision."""
    row = _lock_revision(session)
    row.revision += 1
    outbox.record(
        session,
        "working_calendar",
        "company",
        WorkingCalendarChanged(revision=row.revision, **snapshot(session)),
    )
    return row.revision
