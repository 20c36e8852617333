"""My tasks (heads: their department's), one task with its outcome form, and the inbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import redirect, request, url_for
from flask_babel import get_timezone

from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.domain.tasks import Completion
from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.api.tasks import CompletionSchema
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import inbox, outcomes, tasks
from services.crm.handlers.reference import list_entries
from shared.db import utcnow

PAGE = 50
TASK_STATES = ("open", "overdue", "done", "cancelled")


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.get("/tasks")
def my_tasks():
    state = request.args.get("state", "open")
    state = state if state in TASK_STATES else "open"
    with unit_of_work() as db:
        items, total = tasks.list_tasks(db, actor(), page=_page(), page_size=PAGE, state=state)
    return render("tasks.html", items=items, total=total, state=state, page=_page(), now=utcnow())


def _references(db):
    return {
        "reasons": list_entries(db, RefusalReason, active=True),
        "statuses": list_entries(db, InteractionStatus, active=True),
    }


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    with unit_of_work() as db:
        found = tasks.load_visible(db, actor(), task_id)
        refs = _references(db)
    return render("task.html", task=found, now=utcnow(), **refs)


@bp.get("/tasks/<int:task_id>/outcome-fields")
def outcome_fields(task_id: int):
    """The fields the chosen outcome needs (a refusal reason, a new status, a call-back time)."""
    with unit_of_work() as db:
        found = tasks.load_visible(db, actor(), task_id)
        refs = _references(db)
    outcome = request.args.get("outcome", "")
    return render("outcome_fields.html", task=found, outcome=outcome, values={}, errors={}, **refs)


def _aware(local: str, zone) -> str:
    """A ``datetime-local`` value, read in the reader's time zone."""
    try:
        return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(str(zone))).isoformat()
    except ValueError:
        return local  # the schema names the field and the reason


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int):
    data = values(request.form)
    if "call_back_at" in data:
        data["call_back_at"] = _aware(data["call_back_at"], get_timezone())
    try:
        completion = Completion(**load(CompletionSchema(), data))
        with unit_of_work() as db:
            result = attempt(
                lambda: outcomes.complete_task(
                    db, actor(), task_id, completion, settings=settings()
                )
            )
    except FormError as exc:
        with unit_of_work() as db:
            found = tasks.load_visible(db, actor(), task_id)
            refs = _references(db)
        template = "task_card.html" if request.headers.get("HX-Request") else "task.html"
        return render(
            template, 422, task=found, now=utcnow(), errors=exc.errors, values=request.form, **refs
        )
    if request.headers.get("HX-Request"):
        return render(
            "task_done.html",
            task=result["task"],
            created=result["created_tasks"],
            next_call_at=result["next_call_at"],
        )
    return redirect(url_for("web.task", task_id=task_id))


@bp.get("/inbox")
def inbox_page():
    unread = request.args.get("unread") == "1"
    with unit_of_work() as db:
        items, total = inbox.list_inbox(
            db, actor(), unread=True if unread else None, page=_page(), page_size=PAGE
        )
    return render("inbox.html", items=items, total=total, unread_only=unread, page=_page())


@bp.post("/inbox/<int:notification_id>/read")
def mark_read(notification_id: int):
    with unit_of_work() as db:
        inbox.mark_read(db, actor(), notification_id)
    return redirect(request.referrer or url_for("web.inbox_page"))
