"""The employee's own settings: language, time zone, how reminders reach them."""

from __future__ import annotations

from flask import redirect, request, url_for

from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.api.schemas import EmployeeSchema
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import employees

FIELDS = ("locale", "timezone", "channels")


@bp.get("/profile")
def profile():
    return render("profile.html", values={}, errors={})


@bp.post("/profile")
def save_profile():
    data = {k: v for k, v in values(request.form, lists=("channels",)).items() if k in FIELDS}
    try:
        changes = load(EmployeeSchema(partial=True, only=FIELDS), data)
        with unit_of_work() as db:
            attempt(lambda: employees.update_employee(db, actor(), actor().id, changes, settings()))
    except FormError as exc:
        return render("profile.html", 422, values=request.form, errors=exc.errors)
    return redirect(url_for("web.profile", saved=1))
