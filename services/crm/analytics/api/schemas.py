"""Query and response bodies of the reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import marshmallow as ma
from marshmallow import fields, validate

from services.crm.analytics.domain import kinds
from services.crm.analytics.domain.classes import ABC, RFM_SEGMENTS, XYZ
from services.crm.analytics.handlers import lost, managers
from services.crm.entrypoints.api.fields import Day, Instant
from services.crm.entrypoints.api.schemas import QueryId, Schema

Money = lambda **kw: fields.Decimal(places=2, as_string=True, **kw)  # noqa: E731
Share = lambda **kw: fields.Float(allow_none=True, **kw)  # noqa: E731


class one_of(validate.Validator):  # used like validate.OneOf
    """OneOf over a registry read when validating (deal branches register more choices).

    ``choices`` is what the OpenAPI document lists as the field's enum.
    """

    def __init__(self, choices: Callable[[], Iterable[str]]):
        self._choices = choices

    @property
    def choices(self) -> list[str]:
        return list(self._choices())

    def __call__(self, value: str) -> str:
        allowed = self.choices
        if value not in allowed:
            raise ma.ValidationError(f"Must be one of: {', '.join(allowed)}.")
        return value


def formats(*offered: str) -> fields.String:
    return fields.String(
        validate=validate.OneOf(offered),
        metadata={"description": "Instead of the Accept header: " + ", ".join(offered)},
    )


class _Period(Schema):
    from_ = Day(data_key="from", metadata={"description": "First day (default: 12 months back)"})
    to = Day(metadata={"description": "Last day, included (default: today)"})

    @ma.validates_schema
    def start_before_end(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ma.ValidationError("the period starts after it ends", field_name="from")


class _Whose(Schema):
    department = fields.String(validate=validate.Length(min=1, max=200))
    manager_id = QueryId()


class _Paged(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class ReportQuerySchema(_Period, _Whose):
    process_kind = fields.String(validate=[validate.Length(max=32), one_of(kinds.kinds)])
    format = formats("json", "csv")


class ManagersQuerySchema(ReportQuerySchema):
    rank_by = fields.String(
        load_default="on_time_share",
        validate=[validate.Length(max=64), one_of(lambda: managers.RANKABLE)],
    )


class LostQuerySchema(ReportQuerySchema):
    by = fields.String(
        load_default="reason", validate=[validate.Length(max=64), one_of(lambda: lost.DIMENSIONS)]
    )


class AbcXyzQuerySchema(ReportQuerySchema, _Paged):
    abc = fields.String(validate=validate.OneOf([name for name, _ in ABC]))
    xyz = fields.String(validate=validate.OneOf([name for name, _ in XYZ]))


class DormantQuerySchema(_Whose, _Paged):
    to = Day(metadata={"description": "As of the end of this day (default: now)"})
    min_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    format = formats("json", "csv")


class LoyaltyQuerySchema(ReportQuerySchema):
    min_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))


class RfmQuerySchema(ReportQuerySchema, _Paged):
    segment = fields.String(validate=validate.OneOf([name for name, _, _ in RFM_SEGMENTS]))


class BcgQuerySchema(ReportQuerySchema):
    format = formats("json", "csv", "svg")


class CardsQuerySchema(_Period, _Whose, _Paged):
    format = formats("json", "csv")


class FiltersSchema(Schema):
    from_ = Day(data_key="from", attribute="from", allow_none=True)
    to = Day()
    process_kind = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    manager_id = fields.Integer(allow_none=True)


class _Report(Schema):
    filters = fields.Nested(FiltersSchema)


class ManagerRowSchema(Schema):
    manager_id = fields.Integer()
    name = fields.String()
    department = fields.String(allow_none=True)
    planned_calls = fields.Integer()
    calls_made = fields.Integer()
    made_share = Share()
    calls_on_time = fields.Integer()
    on_time_share = Share(metadata={"description": "Made by the end of their planned day"})
    calls_cancelled = fields.Integer()
    tasks_overdue = fields.Integer(metadata={"description": "Due in the period, escalated"})
    overdue_now = fields.Integer(metadata={"description": "Open and past due right now"})
    first_contacts = fields.Integer()
    first_contacts_in_time = fields.Integer(metadata={"description": "Within 5 minutes"})
    first_contacts_in_time_share = Share()
    first_contact_avg_seconds = fields.Float(allow_none=True)
    # Deals (handlers/deal_managers.py): opened in the period, followed to their end.
    deals_opened = fields.Integer()
    deals_won = fields.Integer()
    deals_lost = fields.Integer()
    deal_conversion_share = Share(metadata={"description": "Won of the deals opened"})
    deal_win_share = Share(metadata={"description": "Won of the deals decided"})
    deal_cycle_avg_seconds = fields.Float(allow_none=True)
    deals_won_amount = fields.Decimal(places=2, as_string=True)
    rank = fields.Integer(metadata={"description": "Within the department, 1 is best"})

    @ma.post_dump(pass_original=True)
    def registered_columns(self, data, original, **kwargs):
        """Columns other sources add (managers.register_source) go out as they are."""
        return {**{k: v for k, v in original.items() if k not in self.fields}, **data}


class ManagersSchema(_Report):
    rank_by = fields.String()
    rows = fields.List(fields.Nested(ManagerRowSchema))


class LossRowSchema(Schema):
    key = fields.Raw(allow_none=True, metadata={"description": "Id, name or first day"})
    name = fields.String(allow_none=True)
    count = fields.Integer()
    share = Share()
    amount = Money()


class LostSchema(_Report):
    by = fields.String()
    total = fields.Integer()
    amount = Money()
    rows = fields.List(fields.Nested(LossRowSchema))


class CellSchema(Schema):
    abc = fields.String()
    xyz = fields.String()
    customers = fields.Integer()
    revenue = Money()


class CustomerClassSchema(Schema):
    counterparty_id = fields.Integer()
    name = fields.String()
    responsible_id = fields.Integer(allow_none=True)
    revenue = Money()
    orders = fields.Integer()
    share = fields.Float()
    cumulative_share = fields.Float()
    abc = fields.String()
    cv = fields.Float(metadata={"description": "Variation of the monthly order amounts"})
    xyz = fields.String()


class AbcXyzSchema(_Report):
    months = fields.Integer()
    customers = fields.Integer()
    revenue = Money()
    matrix = fields.List(fields.Nested(CellSchema))
    matching = fields.Integer()
    rows = fields.List(fields.Nested(CustomerClassSchema))


class DormantRowSchema(Schema):
    counterparty_id = fields.Integer()
    name = fields.String()
    responsible_id = fields.Integer(allow_none=True)
    orders = fields.Integer()
    revenue = Money()
    first_order_at = Instant()
    last_order_at = Instant()
    average_gap_days = fields.Float()
    days_since_last = fields.Float()


class DormantSchema(_Report):
    as_of = Instant()
    min_days = fields.Integer()
    matching = fields.Integer()
    rows = fields.List(fields.Nested(DormantRowSchema))


class SegmentSchema(Schema):
    segment = fields.String()
    customers = fields.Integer()
    share = Share()
    revenue = Money()


class CardTotalsSchema(Schema):
    used = fields.Integer()
    orders = fields.Integer()
    discount = Money()


class LoyaltySchema(_Report):
    buyers = fields.Integer()
    repeat_buyers = fields.Integer()
    repeat_rate = Share()
    dormant = fields.Integer()
    cards = fields.Nested(CardTotalsSchema)
    rows = fields.List(fields.Nested(SegmentSchema))


class RfmRowSchema(Schema):
    counterparty_id = fields.Integer()
    name = fields.String()
    responsible_id = fields.Integer(allow_none=True)
    recency_days = fields.Float()
    orders = fields.Integer()
    revenue = Money()
    r = fields.Integer()
    f = fields.Integer()
    m = fields.Integer()
    segment = fields.String()


class RfmSchema(_Report):
    matching = fields.Integer()
    rows = fields.List(fields.Nested(RfmRowSchema))


class GroupRowSchema(Schema):
    group_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    revenue = Money()
    previous_revenue = Money()
    growth = Share()
    share_of_sales = Share()
    relative_share = Share()
    quadrant = fields.String()


class PeriodSchema(Schema):
    from_ = Day(data_key="from", attribute="from")
    to = Day()


class BcgSchema(_Report):
    previous = fields.Nested(PeriodSchema)
    growth_high = fields.Float()
    share_high = fields.Float()
    rows = fields.List(fields.Nested(GroupRowSchema))


class CardUseSchema(Schema):
    card_id = fields.Integer()
    number = fields.String()
    counterparty_id = fields.Integer()
    holder = fields.String()
    discount_percent = fields.Decimal(places=2, as_string=True)
    valid_from = Day()
    valid_to = Day(allow_none=True)
    blocked = fields.Boolean()
    orders = fields.Integer()
    amount = Money()
    discount = Money()


class CardsSchema(_Report):
    matching = fields.Integer()
    rows = fields.List(fields.Nested(CardUseSchema))
