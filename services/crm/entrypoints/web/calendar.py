"""Admins' page of the working calendar: the company's (or a department's) week and hours, and
holidays; each change goes to the scheduler, which re-plans the waiting calls."""

from __future__ import annotations

from babel.dates import get_day_names
from flask import redirect, request, url_for

from services.crm.domain.roles import Permission
from services.crm.entrypoints.api.calendar import HolidaySchema, WeekSchema
from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.web.base import actor, bp, locale, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import calendar
from shared.contracts import WEEKDAY_NAMES

HOLIDAYS_SHOWN = 200


def _page(code: int = 200, errors: dict | None = None, form: str | None = None):
    names = get_day_names("abbreviated", locale=locale())
    with unit_of_work() as db:
        company = calendar.show_week(db, settings())
        departments = calendar.list_department_weeks(db)
        holidays, _ = calendar.list_holidays(db, page=1, page_size=HOLIDAYS_SHOWN)
    return render(
        "admin_calendar.html",
        code,
        company=company,
        departments=departments,
        holidays=holidays,
        weekdays=[(code, names[n]) for n, code in enumerate(WEEKDAY_NAMES)],
        errors=errors or {},
        form=form,
        values=request.form if errors else {},
    )


@bp.get("/admin/working-calendar")
def admin_calendar():
    actor().require(Permission.EDIT_REFERENCE_BOOKS)
    return _page()


@bp.post("/admin/working-calendar")
def save_week():
    actor().require(Permission.EDIT_REFERENCE_BOOKS)
    data = values(request.form, lists=("workdays",))
    department = data.pop("department", None)
    try:
        fields = load(WeekSchema(), data)
        with unit_of_work() as db:
            attempt(lambda: calendar.save_week(db, actor(), department, fields))
    except FormError as exc:
        return _page(422, exc.errors, "week")
    return redirect(url_for("web.admin_calendar"))


@bp.post("/admin/working-calendar/holidays")
def add_holiday():
    actor().require(Permission.EDIT_REFERENCE_BOOKS)
    try:
        fields = load(HolidaySchema(), values(request.form))
        with unit_of_work() as db:
            attempt(lambda: calendar.add_holiday(db, actor(), fields))
    except FormError as exc:
        return _page(422, exc.errors, "holiday")
    return redirect(url_for("web.admin_calendar"))


@bp.post("/admin/working-calendar/holidays/<int:holiday_id>/delete")
def remove_holiday(holiday_id: int):
    with unit_of_work() as db:
        calendar.remove_holiday(db, actor(), holiday_id)
    return redirect(url_for("web.admin_calendar"))
