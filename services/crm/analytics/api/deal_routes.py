"""The deal reports, served by api/reports.route: the funnel and the bottlenecks (JSON, CSV,
SVG); importing this also adds the deal columns to the managers' report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.crm.analytics.adapters import deal_svg
from services.crm.analytics.api import deal_schemas as s
from services.crm.analytics.api import respond
from services.crm.analytics.api.reports import route
from services.crm.analytics.handlers import bottlenecks, funnel
from services.crm.analytics.handlers import deal_managers as _deal_managers  # noqa: F401
from shared.i18n import translate


def _chart(draw: Callable[..., str]) -> Callable[[dict[str, Any]], str]:
    def chart(result: dict[str, Any]) -> str:
        locale = respond.reader_locale()
        return draw(result["rows"], lambda message: translate(locale, message))

    return chart


route(
    "funnel",
    funnel.report,
    s.FunnelQuerySchema,
    s.FunnelSchema,
    funnel.COLUMNS,
    "Sales funnel of the deals opened in the period: stages, conversions, pipeline, forecast",
    chart=_chart(deal_svg.funnel),
)
route(
    "bottlenecks",
    bottlenecks.report,
    s.BottlenecksQuerySchema,
    s.BottlenecksSchema,
    bottlenecks.COLUMNS,
    "Time in each stage (median, 90th percentile, maximum), its trend, where and which deals stall",
    chart=_chart(deal_svg.time_in_stage),
)
