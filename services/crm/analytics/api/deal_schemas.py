"""Query and response bodies of the deal reports (funnel, bottlenecks)."""

from __future__ import annotations

from marshmallow import fields

from services.crm.analytics.api.schemas import Money, ReportQuerySchema, Share, _Report, formats
from services.crm.entrypoints.api.schemas import QueryId, Schema


class FunnelQuerySchema(ReportQuerySchema):
    kind_id = QueryId(metadata={"description": "Only deals of this deal kind"})
    format = formats("json", "csv", "svg")


class FunnelStageSchema(Schema):
    kind_id = fields.Integer()
    stage_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    position = fields.Integer()
    reached = fields.Integer(metadata={"description": "Deals opened in the period that got here"})
    reached_in_order = fields.Integer(metadata={"description": "Having passed every earlier stage"})
    dropped = fields.Integer(metadata={"description": "Lost or cancelled in this stage"})
    conversion = Share(metadata={"description": "Reached the next stage, of those reaching this"})
    strict_conversion = Share(metadata={"description": "The same, in order only"})
    avg_days_in_stage = fields.Float(allow_none=True)


class ForecastMonthSchema(Schema):
    month = fields.Date(allow_none=True, metadata={"description": "Expected close; null: unset"})
    deals = fields.Integer()
    amount = Money()
    expected_won_amount = Money(metadata={"description": "Amount x win probability"})


class FunnelSchema(_Report):
    kind_id = fields.Integer(allow_none=True)
    opened = fields.Integer()
    won = fields.Integer()
    lost = fields.Integer()
    cancelled = fields.Integer()
    win_rate = Share(metadata={"description": "Won of won and lost"})
    avg_cycle_days = fields.Float(allow_none=True, metadata={"description": "Opening to close"})
    won_amount = Money()
    open_deals = fields.Integer()
    pipeline_amount = Money()
    weighted_pipeline = Money()
    forecast = fields.List(fields.Nested(ForecastMonthSchema))
    rows = fields.List(fields.Nested(FunnelStageSchema))
