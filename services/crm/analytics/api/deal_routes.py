"""The deal reports, served by api/reports.route: the funnel and the bottlenecks."""

from __future__ import annotations

from typing import Any

from services.crm.analytics.adapters import deal_svg
from services.crm.analytics.api import deal_schemas as s
from services.crm.analytics.api import respond
from services.crm.analytics.api.reports import route
from services.crm.analytics.handlers import deal_managers as _deal_managers  # noqa: F401
from services.crm.analytics.handlers import funnel
from shared.i18n import translate


def _funnel_chart(result: dict[str, Any]) -> str:
    locale = respond.reader_locale()
    return deal_svg.funnel(result["rows"], lambda message: translate(locale, message))


route(
    "funnel",
    funnel.report,
    s.FunnelQuerySchema,
    s.FunnelSchema,
    funnel.COLUMNS,
    "Sales funnel of the deals opened in the period: stages, conversions, pipeline, forecast",
    chart=_funnel_chart,
)
