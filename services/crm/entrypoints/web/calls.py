"""The calls panel of document 001: planned and due calls by status, manager, state, day or
period and customer; and the calls made. Its filters are the API's, read with its schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request

from services.crm.adapters.orm import InteractionStatus
from services.crm.domain.calls import OVERSEERS
from services.crm.entrypoints.api.calls import CallPlanQuerySchema, DoneCallQuerySchema
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import calls, cards, employees
from services.crm.handlers.reference import list_entries
from shared.db import utcnow
from shared.names import Role

PAGE = 50


def _filters(done: bool) -> dict:
    """The query's filters as the API reads them; the page's "overdue" state is its flag."""
    data = values(request.args)
    for name in ("tab", "page"):
        data.pop(name, None)
    if actor().role not in OVERSEERS:
        data.pop("responsible_id", None)
    if data.get("state") == "overdue":
        del data["state"]
        data["overdue"] = "true"
    schema = DoneCallQuerySchema if done else CallPlanQuerySchema
    return load(schema(unknown=ma.EXCLUDE), data)


@bp.get("/calls")
def calls_panel():
    me = actor()
    done = request.args.get("tab") == "done"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listing = calls.list_done_calls if done else calls.list_plans
    items: list[Any]
    items, total, errors, customer = [], 0, {}, None
    with unit_of_work() as db:
        try:
            filters = _filters(done)
            items, total = attempt(lambda: listing(db, me, page=page, page_size=PAGE, **filters))
            if filters.get("subject_id"):
                customer = cards.readable(db, me, filters["subject_kind"], filters["subject_id"])
        except FormError as exc:
            errors = exc.errors
        statuses = list_entries(db, InteractionStatus)
        managers = employees.list_employees(db) if me.role in OVERSEERS else []
    return render(
        "calls.html",
        422 if errors else 200,
        items=items,
        total=total,
        page=page,
        done=done,
        errors=errors,
        customer=customer,
        statuses=statuses,
        managers=[m for m in managers if m.role in (Role.MANAGER, Role.HEAD_OF_SALES)],
        args=request.args,
        now=utcnow(),
    )
