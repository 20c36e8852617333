"""Request and response bodies of item groups, loyalty cards, claims and the classification."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from services.crm.analytics.domain.claims import OUTCOMES, STATES
from services.crm.domain.relationship import Stage
from services.crm.entrypoints.api.fields import Day, Instant
from services.crm.entrypoints.api.sales_schemas import Text
from services.crm.entrypoints.api.schemas import Id, Name, QueryId, Schema

ABC_CLASS = validate.OneOf(("A", "B", "C"))


class ItemGroupSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)


class LoyaltyCardSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = Name(64, required=True)
    counterparty_id = Id(required=True, metadata={"description": "The holder"})
    contact_person_id = Id(allow_none=True, metadata={"description": "Who carries the card"})
    discount_percent = fields.Decimal(
        required=True,
        places=2,
        as_string=True,
        validate=validate.Range(min=Decimal(0), max=Decimal(100)),
    )
    valid_from = Day(required=True)
    valid_to = Day(allow_none=True)
    blocked = fields.Boolean(load_default=False)
    created_at = Instant(dump_only=True)


class LoyaltyCardPatchSchema(LoyaltyCardSchema):
    class Meta:
        exclude = ("number", "counterparty_id")


class LoyaltyCardQuerySchema(Schema):
    counterparty_id = QueryId()
    number = Name(64)


class ClaimSchema(Schema):
    id = fields.Integer(dump_only=True)
    counterparty_id = Id(required=True)
    basis_kind = fields.String(
        validate=validate.Length(max=16),
        allow_none=True,
        metadata={"description": "What the claim is about: order (deals later)"},
    )
    basis_id = Id(allow_none=True)
    title = Name(required=True)
    description = Text(allow_none=True)
    received_at = Instant(metadata={"description": "Default: now"})
    deadline = Instant(required=True)
    responsible_id = Id(metadata={"description": "Default: the counterparty's manager"})
    author_id = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": ", ".join(STATES)})
    outcome = fields.String(dump_only=True, allow_none=True)
    resolution = fields.String(dump_only=True, allow_none=True)
    resolved_at = Instant(dump_only=True, allow_none=True)
    resolved_by_id = fields.Integer(dump_only=True, allow_none=True)
    reminder_id = fields.Integer(dump_only=True, allow_none=True)
    escalated_at = Instant(dump_only=True, allow_none=True)
    overdue = fields.Boolean(dump_only=True)
    created_at = Instant(dump_only=True)


class ClaimPatchSchema(Schema):
    title = Name()
    description = Text(allow_none=True)
    deadline = Instant()
    responsible_id = Id()


class ClaimResolutionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    resolution = Name(10000, required=True)


class ClaimQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    counterparty_id = QueryId()
    responsible_id = QueryId()
    overdue = fields.Boolean()


class StrategySchema(Schema):
    abc_class = fields.String(dump_only=True)
    title = Name(200)
    description = Text(allow_none=True)
    status_id = Id(allow_none=True, metadata={"description": "Default interaction status"})


class ClassificationRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    stage = fields.String(required=True, validate=validate.OneOf([s.value for s in Stage]))
    abc_class = fields.String(allow_none=True, validate=ABC_CLASS)
    status_id = Id(required=True)


class ClassificationRequestSchema(Schema):
    from_ = Day(data_key="from", metadata={"description": "Orders from (default 12 months)"})
    to = Day(metadata={"description": "Orders up to (default: the end of last month)"})


class ClassificationRunSchema(Schema):
    id = fields.Integer()
    trigger = fields.String()
    requested_by_id = fields.Integer(allow_none=True)
    state = fields.String()
    period_start = Day()
    period_end = Day()
    counts = fields.Dict()
    created_at = Instant()
    finished_at = Instant(allow_none=True)


class ClassificationLineSchema(Schema):
    subject_kind = fields.String()
    subject_id = fields.Integer()
    name = fields.String()
    stage = fields.String(allow_none=True)
    abc_class = fields.String(allow_none=True)
    xyz_class = fields.String(allow_none=True)
    old_status_id = fields.Integer(allow_none=True)
    new_status_id = fields.Integer(allow_none=True)
    changed = fields.Boolean()
    note = fields.String(allow_none=True)


class ClassificationLineQuerySchema(Schema):
    changed = fields.Boolean()
    subject_kind = fields.String(validate=validate.OneOf(("lead", "counterparty")))
    stage = fields.String(validate=validate.OneOf([s.value for s in Stage]))
    abc_class = fields.String(validate=ABC_CLASS)
