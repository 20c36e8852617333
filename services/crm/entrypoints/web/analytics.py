"""Reports for heads and managers: managers' performance and lost customers, with the API's
filters (period, department, manager) read by its schemas and computed by its handlers, and
the same table as CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import marshmallow as ma
from flask import request

from services.crm.analytics.api import respond
from services.crm.analytics.api import schemas as s
from services.crm.analytics.api.reports import _filters as report_filters  # the API's own
from services.crm.analytics.handlers import lost, managers
from services.crm.domain.errors import NotFound
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web.base import bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import employees
from shared.i18n import _
from shared.names import Role

# path: (title, handler, query schema, columns)
REPORTS: dict[str, tuple[str, Callable[..., dict], type, Callable[[], Sequence[str]]]] = {
    "managers": (
        _("Managers' performance"),
        managers.report,
        s.ManagersQuerySchema,
        managers.columns,
    ),
    "lost": (_("Lost customers"), lost.report, s.LostQuerySchema, lambda: lost.COLUMNS),
}


@bp.get("/analytics")
def analytics():
    """One page for every report (``?report=``), so the navigation marks each as current."""
    report = request.args.get("report", "managers")
    if report not in REPORTS:
        raise NotFound("report", report)
    title, handler, query, columns = REPORTS[report]
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] | None = None
    with unit_of_work() as db:
        try:
            args = load(query(unknown=ma.EXCLUDE), values(request.args))  # "report" left out
            wanted = args.pop("format", None)
            result = attempt(
                lambda: handler(
                    db,
                    report_filters(db, args),
                    **{k: v for k, v in args.items() if k not in ("page", "page_size")},
                )
            )
        except FormError as exc:
            errors, wanted = exc.errors, None
        staff = [
            e
            for e in employees.list_employees(db)
            if e.role in (Role.MANAGER, Role.HEAD_OF_SALES) and e.active
        ]
    if wanted == "csv" and result is not None:
        return respond.csv(report, columns(), result)
    return render(
        "analytics.html",
        422 if errors else 200,
        report=report,
        reports=REPORTS,
        title=title,
        result=result,
        columns=[c for c in columns() if c != "manager_id"],
        errors=errors,
        args=request.args,
        managers=staff,
        departments=sorted({e.department for e in staff if e.department}),
        rankable=managers.RANKABLE,
        dimensions=list(lost.DIMENSIONS),
    )
