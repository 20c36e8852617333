"""Request and response bodies of deal kinds and deals: every string, list and number bounded."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from services.crm.domain import deals as rules
from services.crm.entrypoints.api.calendar import Day
from services.crm.entrypoints.api.sales_schemas import Text
from services.crm.entrypoints.api.schemas import Id, Name, QueryId, Schema

Code = lambda **kw: fields.String(  # noqa: E731
    validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$", error="lower-case letters, digits, _"), **kw
)
# Numeric(16, 2) and (14, 3): larger values could not be stored.
Money = lambda **kw: fields.Decimal(  # noqa: E731
    places=2,
    as_string=True,
    validate=validate.Range(min=Decimal(0), max=Decimal("99999999999999")),
    **kw,
)
Quantity = lambda **kw: fields.Decimal(  # noqa: E731
    places=3,
    as_string=True,
    validate=validate.Range(min=Decimal(0), min_inclusive=False, max=Decimal("99999999999")),
    **kw,
)
Currency = lambda **kw: fields.String(  # noqa: E731
    validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code"), **kw
)


class InstructionSchema(Schema):
    id = fields.Integer(dump_only=True)
    stage_id = Id(allow_none=True, load_default=None)
    title = Name(300, required=True)
    # A link's address; null for an uploaded file (``file_id``).
    url = fields.Url(
        required=True,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=2000),
    )
    file_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class StageSchema(Schema):
    id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)
    code = Code(required=True)
    name = Name(200, required=True)
    performer = fields.String(load_default="responsible", validate=validate.OneOf(rules.PERFORMERS))
    duration_days = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=3650)
    )
    probability = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=100)
    )
    deliverable = fields.String(validate=validate.Length(max=300), allow_none=True)
    required = fields.List(
        fields.String(validate=validate.OneOf(rules.REQUIRABLE)),
        load_default=list,
        validate=validate.Length(max=len(rules.REQUIRABLE)),
    )
    next = fields.List(
        Code(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Stage codes or won/lost/cancelled; default: the next stage."},
    )
    instructions = fields.List(fields.Nested(InstructionSchema), dump_only=True)


class DealKindSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)
    mode = fields.String(required=True, validate=validate.OneOf(rules.MODES))
    description = fields.String(validate=validate.Length(max=5000), allow_none=True)
    active = fields.Boolean(load_default=True)
    stages = fields.List(
        fields.Nested(StageSchema), required=True, validate=validate.Length(min=1, max=30)
    )
    instructions = fields.List(fields.Nested(InstructionSchema), dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DealKindPatchSchema(Schema):
    name = Name(200)
    description = fields.String(validate=validate.Length(max=5000), allow_none=True)
    active = fields.Boolean()


class KindQuerySchema(Schema):
    active = fields.Boolean()


class PartySchema(Schema):
    party_kind = fields.String(required=True, validate=validate.OneOf(rules.PARTY_KINDS))
    party_id = Id(required=True)
    role = fields.String(validate=validate.Length(max=100), allow_none=True)


class DemandLineSchema(Schema):
    position = fields.Integer(dump_only=True)
    item_id = Id(allow_none=True)
    description = fields.String(validate=validate.Length(min=1, max=500), allow_none=True)
    quantity = Quantity(load_default=Decimal(1))
    price = Money(allow_none=True)
    amount = Money(allow_none=True)
    comment = fields.String(validate=validate.Length(max=1000), allow_none=True)


class DealFileSchema(Schema):
    file_id = fields.Integer(dump_only=True)
    added_by_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DealSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = Id(
        allow_none=True,
        metadata={"description": "The customer (a partner); default: the counterparty's partner."},
    )
    name = Name(300, required=True)
    responsible_id = Id(metadata={"description": "Default: whoever opens the deal."})
    kind_id = Id(required=True)
    stage_id = fields.Integer(dump_only=True)
    stage_code = fields.String(dump_only=True)
    stage_entered_at = fields.AwareDateTime(dump_only=True)
    state = fields.String(dump_only=True)
    posted_at = fields.AwareDateTime(dump_only=True)
    amount = Money(
        allow_none=True,
        metadata={"description": "Set by hand; omitted or null: follows the demand lines."},
    )
    amount_manual = fields.Boolean(dump_only=True)
    currency = Currency(load_default="UAH")
    probability = fields.Integer(dump_only=True)
    win_probability = fields.Float(
        dump_only=True,
        metadata={
            "description": "Estimated from the decided deals (0..1); the stage's default "
            "before the first fit"
        },
    )
    expected_close_date = Day(allow_none=True)
    source = fields.String(dump_only=True)
    source_interaction_id = fields.Integer(dump_only=True)
    lead_id = Id(allow_none=True, metadata={"description": "A deal opened from a lead."})
    counterparty_id = Id(allow_none=True)
    process_id = Id(
        allow_none=True,
        metadata={"description": "A deal from the inbound process: its documents link to it."},
    )
    contact_person_id = Id(allow_none=True)
    comment = Text(allow_none=True)
    lost_reason_id = fields.Integer(dump_only=True)
    competitor_id = fields.Integer(dump_only=True)
    closed_at = fields.AwareDateTime(dump_only=True)
    parties = fields.List(fields.Nested(PartySchema), validate=validate.Length(max=50))
    demand = fields.List(fields.Nested(DemandLineSchema), validate=validate.Length(max=200))
    files = fields.List(fields.Nested(DealFileSchema), dump_only=True)
    created_by_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DealPatchSchema(Schema):
    name = Name(300)
    responsible_id = Id()
    amount = Money(allow_none=True)
    currency = Currency()
    expected_close_date = Day(allow_none=True)
    counterparty_id = Id(allow_none=True)
    contact_person_id = Id(allow_none=True)
    comment = Text(allow_none=True)
    parties = fields.List(fields.Nested(PartySchema), validate=validate.Length(max=50))
    demand = fields.List(fields.Nested(DemandLineSchema), validate=validate.Length(max=200))


class DealQuerySchema(Schema):
    stage_id = QueryId()
    state = fields.String(validate=validate.OneOf(rules.STATES))
    responsible_id = QueryId()
    kind_id = QueryId()
    customer_id = QueryId()


class MoveSchema(Schema):
    to = fields.String(
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "A stage code of the kind, or won, lost, cancelled."},
    )
    lost_reason_id = Id(metadata={"description": "Required to close as lost."})
    competitor_id = Id(metadata={"description": "The partner who won, when lost."})
    comment = Text()


class StageChangeSchema(Schema):
    id = fields.Integer()
    from_stage_id = fields.Integer()
    to_stage_id = fields.Integer()
    to_state = fields.String()
    changed_at = fields.AwareDateTime()
    changed_by_id = fields.Integer()
    seconds_spent = fields.Integer()


class FlowchartQuerySchema(Schema):
    deal_id = QueryId()


class UploadFormSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    stage_id = QueryId()
