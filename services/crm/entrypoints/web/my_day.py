"""My day: the calls due today and overdue, each with contacts, last interactions and a form
for its outcome; the calls planned for later today below them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import redirect, url_for
from flask_babel import get_timezone

from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.domain.calls import OVERSEERS
from services.crm.domain.roles import Role
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.handlers import calls, tasks
from services.crm.handlers.reference import list_entries
from shared.db import utcnow

MY_DAY_LIMIT = 500


def end_of_today() -> datetime:
    """Midnight after today, in the reader's time zone."""
    zone = get_timezone()
    today = utcnow().astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)


@bp.get("/")
def home():
    if actor().role == Role.SECRETARY:
        return redirect(url_for("web.processes"))
    return redirect(url_for("web.my_day"))


@bp.get("/my-day")
def my_day():
    me, now, end = actor(), utcnow(), end_of_today()
    with unit_of_work() as db:
        due, total = tasks.list_tasks(
            db,
            me,
            page=1,
            page_size=MY_DAY_LIMIT,
            state="open",
            kind="call",
            assignee_id=me.id,
            planned_before=end,
        )
        later: list[Any] = []
        if me.role in OVERSEERS or me.role == Role.MANAGER:
            later, _ = calls.list_plans(
                db,
                me,
                page=1,
                page_size=100,
                responsible_id=me.id,
                state="planned",
                day="today",
                overdue=False,
            )
        reasons = list_entries(db, RefusalReason, active=True)
        statuses = list_entries(db, InteractionStatus, active=True)
    return render(
        "my_day.html",
        due=due,
        total=total,
        overdue=sum(1 for t in due if t.due_at < now),
        later=later,
        reasons=reasons,
        statuses=statuses,
        now=now,
    )
