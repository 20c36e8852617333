"""The calls panel of document 001: planned and due calls by status, manager, state, period and
customer; and the calls made."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import request
from flask_babel import get_timezone

from services.crm.adapters.orm import InteractionStatus
from services.crm.domain.calls import OVERSEERS
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.handlers import calls, employees
from services.crm.handlers.reference import list_entries
from shared.db import utcnow

PAGE = 50
STATES = ("planned", "due", "overdue")


def _day(name: str, shift: int = 0) -> datetime | None:
    """A date filter as the start of that day (plus ``shift`` days) in the reader's zone."""
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=shift), time(), tzinfo=get_timezone())


def _int(name: str) -> int | None:
    return request.args.get(name, type=int) or None


@bp.get("/calls")
def calls_panel():
    me = actor()
    state = request.args.get("state") if request.args.get("state") in STATES else None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    filters = {
        "status_id": _int("status_id"),
        "responsible_id": _int("responsible_id") if me.role in OVERSEERS else None,
        "subject_kind": request.args.get("subject_kind") or None,
        "customer": request.args.get("customer", "").strip() or None,
        "due_from": _day("from"),
        "due_to": _day("to", shift=1),
        "state": state if state in ("planned", "due") else None,
        "overdue": True if state == "overdue" else None,
    }
    if filters["subject_kind"] not in (None, "lead", "counterparty"):
        filters["subject_kind"] = None
    done = request.args.get("tab") == "done"
    with unit_of_work() as db:
        if done:
            items, total = calls.list_done_calls(
                db,
                me,
                page=page,
                page_size=PAGE,
                responsible_id=filters["responsible_id"],
                status_id=filters["status_id"],
                subject_kind=filters["subject_kind"],
            )
        else:
            items, total = calls.list_plans(db, me, page=page, page_size=PAGE, **filters)
        statuses = list_entries(db, InteractionStatus)
        managers = employees.list_employees(db) if me.role in OVERSEERS else []
    return render(
        "calls.html",
        items=items,
        total=total,
        page=page,
        done=done,
        statuses=statuses,
        managers=[m for m in managers if m.role in ("manager", "head_of_sales")],
        args=request.args,
        now=utcnow(),
    )
