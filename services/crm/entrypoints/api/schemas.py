"""Request and response bodies of the CRM API."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from marshmallow import fields, validate

from services.crm.domain.roles import Role

PHONE = validate.Regexp(r"^\+?[0-9 ()\-]{3,30}$", error="not a phone number")
Name = lambda n=300, **kw: fields.String(validate=validate.Length(min=1, max=n), **kw)  # noqa: E731
Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1), **kw)  # noqa: E731
Phones = lambda: fields.List(fields.String(validate=PHONE), load_default=list)  # noqa: E731
Emails = lambda: fields.List(fields.Email(), load_default=list)  # noqa: E731


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ma.ValidationError("unknown IANA time zone") from None


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class EmployeeSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)
    email = fields.Email(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    department = fields.String(validate=validate.Length(max=200), allow_none=True)
    timezone = fields.String(load_default="UTC", validate=_zone)
    active = fields.Boolean(load_default=True)
    created_at = fields.AwareDateTime(dump_only=True)


class EmployeeQuerySchema(Schema):
    role = fields.Enum(Role, by_value=True)
    department = fields.String()


class TokenRequestSchema(Schema):
    label = fields.String(validate=validate.Length(max=200), allow_none=True)


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    label = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    revoked_at = fields.AwareDateTime(dump_only=True)


class IssuedTokenSchema(Schema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once; store it now."})


class InteractionStatusSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(100, required=True)
    applies_to = fields.String(
        load_default="both", validate=validate.OneOf(["lead", "counterparty", "both"])
    )
    sort_order = fields.Integer(strict=True, load_default=0)
    generate_calls = fields.Boolean(load_default=True)
    call_interval_days = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=3650),
        metadata={"description": "Whole days until the next planned call."},
    )
    active = fields.Boolean(load_default=True)
    version = fields.Integer(dump_only=True)


class ReferenceQuerySchema(Schema):
    active = fields.Boolean()
    applies_to = fields.String(validate=validate.OneOf(["lead", "counterparty"]))


class RefusalReasonSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)
    sort_order = fields.Integer(strict=True, load_default=0)
    active = fields.Boolean(load_default=True)


class PartnerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True)
    note = fields.String(allow_none=True)
    responsible_id = Id(allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class PartnerQuerySchema(Schema):
    q = fields.String()
    responsible_id = Id()


class ContactPersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    partner_id = fields.Integer(dump_only=True)
    name = Name(required=True)
    job_title = fields.String(validate=validate.Length(max=200), allow_none=True)
    phones = Phones()
    emails = Emails()


class PartnerLinkSchema(Schema):
    id = fields.Integer(dump_only=True)
    partner_id = fields.Integer(dump_only=True)
    related_partner_id = Id(required=True)
    kind = Name(100, load_default="related")


class SubjectSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True)
    responsible_id = Id(allow_none=True)
    status_id = fields.Integer(dump_only=True, allow_none=True)
    status_assigned_at = fields.AwareDateTime(dump_only=True)
    archived = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class _Registration:
    """A status may be assigned on registration; archiving happens through an edit."""

    status_id = Id(metadata={"description": "Status to assign on registration."})


class _Edit:
    archived = fields.Boolean(metadata={"description": "Archived subjects get no more calls."})


class LeadSchema(SubjectSchema):
    source = fields.String(validate=validate.Length(max=200), allow_none=True)
    contact_name = fields.String(validate=validate.Length(max=300), allow_none=True)
    phones = Phones()
    emails = Emails()
    note = fields.String(allow_none=True)
    counterparty_id = fields.Integer(dump_only=True)
    converted_at = fields.AwareDateTime(dump_only=True)


class NewLeadSchema(LeadSchema):
    status_id = _Registration.status_id


class LeadUpdateSchema(LeadSchema):
    archived = _Edit.archived


class CounterpartySchema(SubjectSchema):
    partner_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["legal_entity", "individual"]))
    tax_id = fields.String(validate=validate.Length(min=1, max=32), allow_none=True)
    lead_id = fields.Integer(dump_only=True)


class NewCounterpartySchema(CounterpartySchema):
    status_id = _Registration.status_id


class CounterpartyUpdateSchema(CounterpartySchema):
    archived = _Edit.archived


class SubjectQuerySchema(Schema):
    status_id = Id()
    responsible_id = Id()
    archived = fields.Boolean(load_default=False)
    q = fields.String(metadata={"description": "Part of the name."})


class CounterpartyQuerySchema(SubjectQuerySchema):
    partner_id = Id()


class ConvertLeadSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["legal_entity", "individual"]))
    partner_id = Id(metadata={"description": "Existing partner; a new one is made when omitted."})
    partner_name = Name()
    name = Name()
    tax_id = fields.String(validate=validate.Length(min=1, max=32))


class AssignStatusSchema(Schema):
    status_id = Id(required=True)
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class AssignmentResultSchema(Schema):
    changed = fields.Boolean()
    subject_id = fields.Integer()
    status_id = fields.Integer()
    status_assigned_at = fields.AwareDateTime()


class StatusAssignmentSchema(Schema):
    id = fields.Integer()
    subject_kind = fields.String()
    subject_id = fields.Integer()
    from_status_id = fields.Integer(allow_none=True)
    to_status_id = fields.Integer()
    assigned_by_id = fields.Integer(allow_none=True)
    assigned_at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)
