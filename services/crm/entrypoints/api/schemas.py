"""Request and response bodies of the CRM API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from marshmallow import fields, validate

from services.crm.domain.relationship import Stage
from services.crm.domain.roles import Role
from services.crm.entrypoints.api.fields import Instant
from services.crm.handlers.common import INT_MAX
from shared.i18n import DEFAULT_LOCALE, LOCALES, _
from shared.names import CHANNELS, Channel

PHONE = [
    validate.Length(max=30),
    validate.Regexp(r"^\+?[0-9 ()\-]{3,30}$", error="not a phone number"),
]
Name = lambda n=300, **kw: fields.String(validate=validate.Length(min=1, max=n), **kw)  # noqa: E731
Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1, max=INT_MAX), **kw)  # noqa: E731
# Query strings carry text, so ids there are parsed from "12" (strict would refuse every value).
QueryId = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=INT_MAX), **kw)  # noqa: E731
SortOrder = lambda: fields.Integer(  # noqa: E731
    strict=True, load_default=0, validate=validate.Range(min=-INT_MAX, max=INT_MAX)
)
# A plain string, not fields.Enum: the ORM holds the role as text, which Enum cannot dump.
RoleField = lambda **kw: fields.String(validate=validate.OneOf([r.value for r in Role]), **kw)  # noqa: E731
Email = lambda **kw: fields.Email(validate=validate.Length(max=320), **kw)  # noqa: E731
Phones = lambda: fields.List(fields.String(validate=PHONE), load_default=list)  # noqa: E731
Emails = lambda: fields.List(Email(), load_default=list)  # noqa: E731


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    # OSError: a directory of the zone database ("Europe") or a name too long for a file.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ma.ValidationError("unknown IANA time zone") from None


# Free text of no narrower column, and lists: bounded, so no request stores megabytes.
FREE_TEXT = 10_000
MAX_ITEMS = 100
# Lone UTF-16 surrogates ("\ud800" in JSON) are no Unicode text: no column can store them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable(value: object) -> str | None:
    """Why PostgreSQL text cannot hold ``value`` (NUL, lone surrogates), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL characters"
        return _("must be valid Unicode (no lone surrogates)") if _SURROGATE.search(value) else None
    if isinstance(value, list | tuple):
        return next(filter(None, map(_unstorable, value)), None)
    if isinstance(value, Mapping):
        return next(filter(None, map(_unstorable, [*value.keys(), *value.values()])), None)
    return None


def _bounded(field: fields.Field) -> None:
    """Give a field that takes input the default limit when it declares none of its own."""
    if isinstance(field, fields.List):
        _bounded(field.inner)
    if field.dump_only or any(
        isinstance(v, validate.Length | validate.OneOf) for v in field.validators
    ):
        return
    if isinstance(field, fields.String):
        field.validators.append(validate.Length(max=FREE_TEXT))
    elif isinstance(field, fields.Time):
        # Documented only: no valid ISO time is longer, and a longer string is no time.
        field.metadata = {"maxLength": 32, **field.metadata}
    elif isinstance(field, fields.List):
        field.validators.append(validate.Length(max=MAX_ITEMS))


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bounded(field_obj)

    @ma.pre_load
    def refuse_unstorable_text(self, data, **kwargs):
        """PostgreSQL text cannot hold NUL or lone surrogates: refuse them, naming the field.

        A JSON number is no boolean either (marshmallow would read 0 and 1 as false and true).
        """
        if isinstance(data, Mapping):
            bad = {name: [why] for name in data if (why := _unstorable(data[name]))}
            booleans = {
                f.data_key or n
                for n, f in self.load_fields.items()
                if isinstance(f, fields.Boolean)
            }
            for name in booleans.intersection(data):
                if isinstance(data[name], int | float) and not isinstance(data[name], bool):
                    bad[name] = ["Not a valid boolean."]
            if bad:
                raise ma.ValidationError(bad)
        return data


class EmployeeSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)
    email = Email(required=True)
    role = RoleField(required=True)
    department = fields.String(validate=validate.Length(max=200), allow_none=True)
    timezone = fields.String(load_default="UTC", validate=[validate.Length(max=64), _zone])
    active = fields.Boolean(load_default=True)
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=lambda: [Channel.IN_APP],
        validate=validate.Length(min=1, max=len(CHANNELS)),
        metadata={"description": "How reminders reach the employee: in_app, email, webhook."},
    )
    webhook_url = fields.Url(
        allow_none=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500),
        metadata={"description": "A public http(s) URL; internal addresses are refused."},
    )
    webhook_secret_version = fields.Integer(
        dump_only=True,
        metadata={"description": "Version of the webhook signing secret; 0 until one is issued."},
    )
    extension = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=20),
            validate.Regexp(r"^[0-9]{1,20}$", error="digits only, at most 20"),
        ],
        metadata={"description": "Extension at the telephone exchange: its calls find them."},
    )
    phone = fields.String(allow_none=True, validate=PHONE)
    locale = fields.String(
        load_default=DEFAULT_LOCALE,
        validate=validate.OneOf(LOCALES),
        metadata={"description": "Language of pages, task titles, reminders and e-mails."},
    )
    created_at = Instant(dump_only=True)


class EmployeeQuerySchema(Schema):
    role = RoleField()
    department = fields.String(validate=validate.Length(max=200))


class TokenRequestSchema(Schema):
    label = fields.String(validate=validate.Length(max=200), allow_none=True)


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    label = fields.String(dump_only=True)
    created_at = Instant(dump_only=True)
    revoked_at = Instant(dump_only=True)


class IssuedTokenSchema(Schema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once; store it now."})


class IssuedWebhookSecretSchema(Schema):
    webhook_secret = fields.String(
        dump_only=True,
        metadata={"description": "Standard Webhooks signing secret (whsec_...); shown once."},
    )
    webhook_secret_version = fields.Integer(dump_only=True)


class InteractionStatusSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(100, required=True)
    applies_to = fields.String(
        load_default="both", validate=validate.OneOf(["lead", "counterparty", "both"])
    )
    sort_order = SortOrder()
    generate_calls = fields.Boolean(load_default=True)
    call_interval_days = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=3650),
        metadata={"description": "Whole days until the next planned call."},
    )
    active = fields.Boolean(load_default=True)
    is_refusal = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A refusal moves the customer to this status; marking one "
            "status unmarks the one marked before."
        },
    )
    version = fields.Integer(dump_only=True)


class ReferenceQuerySchema(Schema):
    active = fields.Boolean()
    applies_to = fields.String(validate=validate.OneOf(["lead", "counterparty"]))


class RefusalReasonSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(200, required=True)
    sort_order = SortOrder()
    active = fields.Boolean(load_default=True)


class PartnerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True)
    note = fields.String(allow_none=True)
    responsible_id = Id(allow_none=True)
    partner_type = fields.String(
        load_default="client",
        validate=validate.OneOf(("client", "supplier", "competitor", "subcontractor", "other")),
        metadata={"description": "Deals' environments tell competitors and subcontractors apart."},
    )
    created_at = Instant(dump_only=True)


class PartnerQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=300))
    responsible_id = QueryId()


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


class NextCallSchema(Schema):
    plan_id = fields.Integer()
    at = Instant(allow_none=True, metadata={"description": "When the call is due."})
    state = fields.String(metadata={"description": "planned, or due (not yet made)"})
    overdue = fields.Boolean()
    responsible_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True, metadata={"description": "The due call's task."})
    assignee_id = fields.Integer(allow_none=True, metadata={"description": "Who has that task."})


class SubjectSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True)
    responsible_id = Id(allow_none=True)
    status_id = fields.Integer(dump_only=True, allow_none=True)
    status_assigned_at = Instant(dump_only=True)
    archived = fields.Boolean(dump_only=True)
    created_at = Instant(dump_only=True)
    relationship_stage = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "prospect, new, regular or dormant: see reclassify_buyers."},
    )
    next_call = fields.Nested(
        NextCallSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Shown on one subject (not in lists): its next planned call."},
    )


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
    converted_at = Instant(dump_only=True)


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
    status_id = QueryId()
    responsible_id = QueryId()
    archived = fields.Boolean(load_default=False)
    q = fields.String(
        validate=validate.Length(max=300), metadata={"description": "Part of the name."}
    )
    relationship_stage = fields.String(validate=validate.OneOf([s.value for s in Stage]))


class CounterpartyQuerySchema(SubjectQuerySchema):
    partner_id = QueryId()


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
    status_assigned_at = Instant()
    next_call_at = Instant(
        allow_none=True,
        metadata={
            "description": "The call the status plans, in the manager's working hours "
            "(unchanged status: the call already planned); null when it generates none."
        },
    )


class StatusAssignmentSchema(Schema):
    id = fields.Integer()
    subject_kind = fields.String()
    subject_id = fields.Integer()
    from_status_id = fields.Integer(allow_none=True)
    to_status_id = fields.Integer()
    assigned_by_id = fields.Integer(allow_none=True)
    assigned_at = Instant()
    reason = fields.String(allow_none=True)


class EventSchema(Schema):
    """One entry of a card's "Events" tab: a call, e-mail, meeting or process event."""

    id = fields.Integer()
    kind = fields.String()
    direction = fields.String()
    topic = fields.String(allow_none=True)
    state = fields.String()
    outcome = fields.String(allow_none=True)
    content = fields.String(allow_none=True)
    attachments = fields.List(fields.Dict())
    responsible_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    process_id = fields.Integer(allow_none=True)
    step = fields.String(allow_none=True)
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)


class EventQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(("call", "email", "meeting", "event")))
