"""Admins' pages: employees (with invitation links) and the reference books."""

from __future__ import annotations

from flask import redirect, request, url_for
from marshmallow import Schema

from services.crm.adapters.orm import Employee, InteractionStatus, RefusalReason
from services.crm.domain.errors import NotFound
from services.crm.domain.roles import Permission
from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.api.schemas import (
    EmployeeSchema,
    InteractionStatusSchema,
    RefusalReasonSchema,
)
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import accounts, employees, reference
from services.crm.handlers.common import get

BOOKS: dict[str, tuple[type[InteractionStatus] | type[RefusalReason], type[Schema]]] = {
    "statuses": (InteractionStatus, InteractionStatusSchema),
    "refusal-reasons": (RefusalReason, RefusalReasonSchema),
}


def _admin() -> None:
    actor().require(Permission.MANAGE_EMPLOYEES)


@bp.get("/admin/employees")
def admin_employees():
    _admin()
    with unit_of_work() as db:
        people = employees.list_employees(db)
    return render("admin_employees.html", people=people, values={}, errors={}, link=None)


@bp.post("/admin/employees")
def add_employee():
    _admin()
    data = values(request.form, lists=("channels",))
    try:
        fields = load(EmployeeSchema(), data)
        with unit_of_work() as db:
            attempt(lambda: employees.create_employee(db, actor(), fields, settings()))
    except FormError as exc:
        with unit_of_work() as db:
            people = employees.list_employees(db)
        return render(
            "admin_employees.html",
            422,
            people=people,
            values=request.form,
            errors=exc.errors,
            link=None,
        )
    return redirect(url_for("web.admin_employees"))


@bp.post("/admin/employees/<int:employee_id>")
def edit_employee(employee_id: int):
    _admin()
    data = values(request.form)
    data["active"] = request.form.get("active") == "on"
    fields = load(EmployeeSchema(partial=True), data)
    with unit_of_work() as db:
        employees.update_employee(db, actor(), employee_id, fields, settings())
    return redirect(url_for("web.admin_employees"))


@bp.post("/admin/employees/<int:employee_id>/invitation")
def invite(employee_id: int):
    """A one-time link to set the password, shown once for the admin to pass on."""
    with unit_of_work() as db:
        token = accounts.invite(db, actor(), employee_id, settings().web_invitation_hours)
        invited = get(db, Employee, employee_id, "employee")
        people = employees.list_employees(db)
    link = url_for("web.invitation", token=token, _external=True)
    return render(
        "admin_employees.html", people=people, values={}, errors={}, link=link, invited=invited
    )


@bp.get("/admin/<book>")
def admin_book(book: str):
    _admin_book(book)
    model, _ = BOOKS[book]
    with unit_of_work() as db:
        entries = reference.list_entries(db, model)
    return render("admin_book.html", book=book, entries=entries, values={}, errors={})


def _admin_book(book: str) -> None:
    actor().require(Permission.EDIT_REFERENCE_BOOKS)
    if book not in BOOKS:
        raise NotFound("reference book", book)


@bp.post("/admin/<book>")
def add_entry(book: str):
    _admin_book(book)
    model, schema = BOOKS[book]
    data = values(request.form)
    for flag in ("generate_calls", "active"):
        if flag in schema().fields:
            data[flag] = request.form.get(flag) == "on"
    try:
        fields = load(schema(), data)
        with unit_of_work() as db:
            attempt(lambda: reference.create_entry(db, actor(), model, fields))
    except FormError as exc:
        with unit_of_work() as db:
            entries = reference.list_entries(db, model)
        return render(
            "admin_book.html",
            422,
            book=book,
            entries=entries,
            values=request.form,
            errors=exc.errors,
        )
    return redirect(url_for("web.admin_book", book=book))
