"""Query and response bodies of the deal reports (funnel, bottlenecks)."""

from __future__ import annotations

from marshmallow import fields, validate

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


class BottlenecksQuerySchema(FunnelQuerySchema):
    by = fields.String(load_default="stage", validate=validate.OneOf(("stage", "manager")))


class StageTimeSchema(Schema):
    kind_id = fields.Integer()
    stage_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    position = fields.Integer()
    manager_id = fields.Integer(allow_none=True, metadata={"description": "With by=manager"})
    manager = fields.String(allow_none=True)
    stays = fields.Integer(metadata={"description": "Stays ended in the months of the period"})
    median_days = fields.Float(allow_none=True)
    p90_days = fields.Float(allow_none=True, metadata={"description": "At most 10 % high"})
    max_days = fields.Float(allow_none=True)
    late = fields.Integer(metadata={"description": "Stays past the stage's standard duration"})
    late_share = Share()
    stalled_now = fields.Integer()


class StageMonthSchema(Schema):
    month = fields.Date()
    stage_id = fields.Integer()
    code = fields.String()
    stays = fields.Integer()
    median_days = fields.Float(allow_none=True)
    p90_days = fields.Float(allow_none=True)


class StalledDealSchema(Schema):
    deal_id = fields.Integer()
    name = fields.String()
    stage_id = fields.Integer()
    code = fields.String()
    manager_id = fields.Integer()
    manager = fields.String()
    days_in_stage = fields.Float()
    standard_days = fields.Integer()


class BottlenecksSchema(_Report):
    kind_id = fields.Integer(allow_none=True)
    by = fields.String()
    rows = fields.List(fields.Nested(StageTimeSchema))
    worst = fields.List(
        fields.Integer(), metadata={"description": "Stage ids, most stalling first"}
    )
    trend = fields.List(fields.Nested(StageMonthSchema))
    stalled = fields.List(fields.Nested(StalledDealSchema))
    stalled_count = fields.Integer()
