"""The reports, one route each under /api/analytics: JSON, CSV and (the BCG matrix) SVG.

Every report takes the common filters (period, process kind, department, manager) as far
as they apply to it; an unknown filter is a 422 naming it, a period that starts after it
ends a 422, another department's or manager's figures a 403. Deal-based reports join with
:func:`route`, passing their handler, schemas and columns (and a chart if they draw one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.crm.analytics.adapters import bcg_svg
from services.crm.analytics.api import respond
from services.crm.analytics.api import schemas as s
from services.crm.analytics.handlers import bcg, customers, lost, loyalty, managers, scope
from services.crm.analytics.handlers.scope import Filters
from services.crm.entrypoints.api.context import actor, unit_of_work
from shared.i18n import translate

blp = Blueprint(
    "analytics",
    __name__,
    url_prefix="/api/analytics",
    description="Sales reports: JSON, CSV (Accept: text/csv or ?format=csv), SVG charts",
)
Chart = Callable[[dict[str, Any]], str]
# A report sorts and ranks up to every customer at once (50,000 at a million orders): in the
# server's default 4 MB those sorts spill to disk, a third of the RFM report's time.
WORK_MEM = text("SET LOCAL work_mem = '32MB'")
PATHS: list[str] = []  # every report served, in the order registered


def _filters(session: Session, args: dict[str, Any]) -> Filters:
    return scope.filters(
        session,
        actor(),
        start=args.pop("from_", None),
        end=args.pop("to", None),
        process_kind=args.pop("process_kind", None),
        department=args.pop("department", None),
        manager_id=args.pop("manager_id", None),
    )


def route(
    path: str,
    handler: Callable[..., dict[str, Any]],
    query: type,
    schema: type,
    columns: Sequence[str] | Callable[[], Sequence[str]],
    summary: str,
    chart: Chart | None = None,
) -> None:
    """Serve ``handler(session, filters, **other_args)`` at /api/analytics/<path>."""
    offered = ("json", "csv", "svg") if chart else ("json", "csv")
    svg = {"image/svg+xml": {"schema": {"type": "string"}}} if chart else {}

    @blp.arguments(query, location="query", unknown=RAISE)
    @blp.response(200, schema)
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}, **svg}}})
    def get(self, args):
        fmt = respond.wanted(args.pop("format", None), offered)
        if fmt != "json" and "page" in args:
            args["page"] = None  # an export holds every row
        with unit_of_work() as session:
            session.execute(WORK_MEM)
            result = handler(session, _filters(session, args), **args)
        if fmt == "csv":
            return respond.csv(path, columns() if callable(columns) else columns, result)
        if fmt == "svg":
            return Response(chart(result), mimetype="image/svg+xml")
        return result

    get.__doc__ = summary
    PATHS.append(path)
    name = "".join(part.title() for part in path.split("-"))
    blp.route(f"/{path}", endpoint=path)(type(f"{name}Report", (MethodView,), {"get": get}))


def _bcg_chart(result: dict[str, Any]) -> str:
    locale = respond.reader_locale()
    return bcg_svg.render(
        result["rows"],
        result["growth_high"],
        result["share_high"],
        lambda message: translate(locale, message),
    )


route(
    "managers",
    managers.report,
    s.ManagersQuerySchema,
    s.ManagersSchema,
    managers.columns,
    "Manager performance: calls planned and made on time, overdue work, the 5-minute rule",
)
route(
    "lost",
    lost.report,
    s.LostQuerySchema,
    s.LostSchema,
    lost.COLUMNS,
    "Lost customers (refusals, later lost deals) by reason, stage, manager or period",
)
route(
    "abc-xyz",
    customers.abc_xyz,
    s.AbcXyzQuerySchema,
    s.AbcXyzSchema,
    customers.ABC_COLUMNS,
    "ABC (cumulative share of revenue) and XYZ (variation of monthly orders) of customers",
)
route(
    "dormant-customers",
    customers.dormant,
    s.DormantQuerySchema,
    s.DormantSchema,
    customers.DORMANT_COLUMNS,
    "Repeat buyers silent for longer than twice their usual interval",
)
route(
    "loyalty",
    loyalty.loyalty,
    s.LoyaltyQuerySchema,
    s.LoyaltySchema,
    loyalty.SEGMENT_COLUMNS,
    "Loyalty: repeat-purchase rate, RFM segments, customers going dormant, card use",
)
route(
    "rfm",
    loyalty.rfm,
    s.RfmQuerySchema,
    s.RfmSchema,
    loyalty.RFM_COLUMNS,
    "Buyers with their recency, frequency and monetary scores and segment",
)
route(
    "loyalty-cards",
    loyalty.cards,
    s.CardsQuerySchema,
    s.CardsSchema,
    loyalty.CARD_COLUMNS,
    "Loyalty cards and their use in orders over the period",
)
route(
    "bcg",
    bcg.report,
    s.BcgQuerySchema,
    s.BcgSchema,
    bcg.COLUMNS,
    "BCG matrix of item groups: sales growth against relative share (SVG as well)",
    chart=_bcg_chart,
)
