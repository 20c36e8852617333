"""Reports for heads and managers: managers' performance, lost customers, the sales funnel and
the bottlenecks of deals, with the API's filters (period, deal kind, department, manager) read
by its schemas and computed by its handlers, the same table as CSV and the API's own charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import marshmallow as ma
from flask import request
from markupsafe import Markup

from services.crm.analytics.adapters import deal_svg
from services.crm.analytics.api import deal_schemas as ds
from services.crm.analytics.api import respond
from services.crm.analytics.api import schemas as s
from services.crm.analytics.api.reports import _filters as report_filters  # the API's own
from services.crm.analytics.handlers import bottlenecks, funnel, lost, managers
from services.crm.domain.errors import NotFound
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.web import labels
from services.crm.entrypoints.web.base import actor, bp, render, t
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import deal_kinds, employees
from shared.i18n import _
from shared.names import Role

# Ids and codes stay in the CSV; the page names what they stand for.
HIDDEN = ("manager_id", "kind_id", "stage_id", "code", "position")


class Report(NamedTuple):
    title: str
    handler: Callable[..., dict]
    query: type
    columns: Callable[[], Sequence[str]]
    labels: dict[str, str] = labels.REPORT_COLUMNS
    chart: Callable[..., str] | None = None  # the API's SVG of the result's rows


REPORTS: dict[str, Report] = {
    "managers": Report(
        _("Managers' performance"), managers.report, s.ManagersQuerySchema, managers.columns
    ),
    "lost": Report(_("Lost customers"), lost.report, s.LostQuerySchema, lambda: lost.COLUMNS),
    "funnel": Report(
        _("Sales funnel"),
        funnel.report,
        ds.FunnelQuerySchema,
        lambda: funnel.COLUMNS,
        labels.DEAL_REPORT_COLUMNS,
        deal_svg.funnel,
    ),
    "bottlenecks": Report(
        _("Bottlenecks"),
        bottlenecks.report,
        ds.BottlenecksQuerySchema,
        lambda: bottlenecks.COLUMNS,
        labels.DEAL_REPORT_COLUMNS,
        deal_svg.time_in_stage,
    ),
}


@bp.get("/analytics")
def analytics():
    """One page for every report (``?report=``), so the navigation marks each as current."""
    report = request.args.get("report", "managers")
    if report not in REPORTS:
        raise NotFound("report", report)
    shown = REPORTS[report]
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] | None = None
    with unit_of_work() as db:
        try:
            args = load(shown.query(unknown=ma.EXCLUDE), values(request.args))  # not "report"
            wanted = args.pop("format", None)
            result = attempt(
                lambda: shown.handler(
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
        kinds = deal_kinds.list_kinds(db, actor()) if shown.chart else []
    if wanted == "csv" and result is not None:
        return respond.csv(report, shown.columns(), result)
    return render(
        "analytics.html",
        422 if errors else 200,
        report=report,
        reports=REPORTS,
        title=shown.title,
        result=result,
        columns=_columns(shown, result),
        column_labels=shown.labels,
        chart=_chart(shown, result),
        errors=errors,
        args=request.args,
        managers=staff,
        departments=sorted({e.department for e in staff if e.department}),
        kinds=kinds,
        stage_names={st["id"]: st["name"] for k in kinds for st in k["stages"]},
        rankable=managers.RANKABLE,
        dimensions=list(lost.DIMENSIONS),
    )


def _columns(shown: Report, result: dict[str, Any] | None) -> list[str]:
    per_manager = result is not None and result.get("by") == "manager"
    return [
        c for c in shown.columns() if c not in HIDDEN and not (c == "manager" and not per_manager)
    ]


def _chart(shown: Report, result: dict[str, Any] | None) -> Markup | None:
    """The API's chart of the result, inline: its texts are escaped as it draws them."""
    if shown.chart is None or result is None:
        return None
    return Markup(shown.chart(result["rows"], t))  # deal_svg escapes every text it draws
