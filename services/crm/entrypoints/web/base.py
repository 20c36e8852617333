"""The web blueprint, who is signed in, and rendering pages in their language and time zone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_time, get_locale
from flask_wtf.csrf import CSRFProtect

from services.crm.domain.roles import Actor
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.handlers import accounts, inbox
from shared.i18n import _, translate
from shared.names import Role

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()

# The navigation, in order: (endpoint, label, roles that see it; empty for everyone).
NAV: list[tuple[str, str, frozenset[str]]] = [
    ("web.my_day", _("My day"), frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN})),
    ("web.my_tasks", _("My tasks"), frozenset()),
    ("web.inbox_page", _("Inbox"), frozenset()),
    ("web.calls_panel", _("Calls"), frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN})),
    ("web.processes", _("Inbound requests"), frozenset()),
    ("web.deals_board", _("Deals"), frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN})),
    (
        "web.analytics",
        _("Analytics"),
        frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN}),
    ),
    ("web.admin_employees", _("Employees"), frozenset({Role.ADMIN})),
    ("web.admin_book", _("Reference books"), frozenset({Role.ADMIN})),
]

# Pages anyone may open: signing in, an invitation link, the page's own files.
PUBLIC = {"web.login", "web.invitation", "web.static"}


@bp.before_request
def sign_in_required():
    store = current_app.session_interface
    if request.endpoint != "web.static" and not store.reachable(session):  # type: ignore[attr-defined]
        # Without Redis no one can sign in or stay signed in: say so rather than fail later.
        return unavailable()
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC:
        return None
    employee_id = session.get("employee_id")
    with unit_of_work() as db:
        employee = accounts.signed_in(db, employee_id) if employee_id else None
        if employee is not None:
            g.unread = inbox.unread_count(db, employee.id)
            g.last_notification = inbox.latest_id(db, employee.id)
    if employee is None:
        session.clear()
        target = url_for("web.login", next=request.full_path.rstrip("?"))
        if request.headers.get("HX-Request"):
            return "", 401, {"HX-Redirect": target}
        return redirect(target)
    g.employee = employee
    g.actor = accounts.actor_of(employee)
    return None


def unavailable():
    """The sign-in page saying that the session store (Redis) does not answer: 503."""
    return render("login.html", 503, error=t(_("Signing in is unavailable right now.")))


def actor() -> Actor:
    return g.actor


def locale() -> str:
    return str(get_locale() or "en")


def t(message: str, **params: Any) -> str:
    """A text of the page in the reader's language (the catalogue shared with every service)."""
    return translate(locale(), message, **params)


def moment(value) -> str:
    """An instant in the reader's time zone and language."""
    if value is None:
        return ""
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def render(template: str, code: int = 200, /, **context: Any):
    """A page with its HTTP status; ``code`` is positional so a template may use ``status``."""
    return render_template(template, **context), code


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another host."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("web.my_day")


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    me = g.get("employee")
    return {
        "locale": locale,
        "nav": [(e, label) for e, label, roles in NAV if me and (not roles or me.role in roles)],
        "me": me,
        "unread": g.get("unread", 0),
        "last_notification": g.get("last_notification", 0),
    }
