"""Signing in and out, and setting a password through an admin's invitation link."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for

from services.crm.domain.errors import DomainError
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web.base import bp, render, safe_next, t
from services.crm.entrypoints.web.forms import FormError, attempt
from services.crm.handlers import accounts
from shared.i18n import LOCALES, _


def _limiter():
    return current_app.extensions["web.login_limiter"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.args.get("lang") in LOCALES:
        response = redirect(url_for("web.login", next=request.args.get("next")))
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
        return response
    if request.method == "GET":
        return render("login.html")
    email, password = request.form.get("email", ""), request.form.get("password", "")
    address = request.remote_addr or "unknown"
    wait = _limiter().retry_after(email, address)
    if wait:
        minutes = max(1, round(wait / 60))
        message = t(_("Too many failed attempts. Try again in {minutes} min."), minutes=minutes)
        return render("login.html", 429, error=message, email=email)
    with unit_of_work() as db:
        employee = accounts.sign_in(db, email, password)
    if employee is None:
        _limiter().failed(email, address)
        return render("login.html", 401, error=t(_("Wrong e-mail or password.")), email=email)
    _limiter().succeeded(email)
    session.clear()
    session.rotate = True  # type: ignore[attr-defined]
    session["employee_id"] = employee.id
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


@bp.post("/logout-everywhere")
def logout_everywhere():
    employee_id = session["employee_id"]
    current_app.session_interface.end_all(employee_id)  # type: ignore[attr-defined]
    session.clear()
    return redirect(url_for("web.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        with unit_of_work() as db:
            _invitation, employee = accounts.invitation(db, token)
            name = employee.name
    except DomainError as exc:
        return render("invitation.html", 404, failed=t(str(exc)))
    if request.method == "GET":
        return render("invitation.html", name=name)
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        errors = {"confirm": [t(_("The two passwords differ."))]}
        return render("invitation.html", 422, name=name, errors=errors)
    try:
        with unit_of_work() as db:
            attempt(lambda: accounts.accept(db, token, password))
    except FormError as exc:
        return render("invitation.html", 422, name=name, errors=exc.errors)
    return redirect(url_for("web.login", done=1))
