"""The virtual telephone exchange: its signed call webhooks, and the calls it reported."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.adapters.exchanges import FORMATS, Unsigned, Webhook
from services.crm.domain.errors import NotFound
from services.crm.domain.telephony import ORDER
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.errors import body
from services.crm.entrypoints.api.fields import Instant
from services.crm.entrypoints.api.schemas import PHONE, QueryId, Schema
from services.crm.handlers import telephony

# The exchange calls these without a bearer token: each request is signed instead.
hooks = Blueprint(
    "telephony_hooks",
    __name__,
    url_prefix="/api/telephony",
    description="Webhooks of cloud telephone exchanges (signed; formats: "
    + ", ".join(FORMATS)
    + "). See the README, 'Virtual telephone exchange'.",
)
blp = Blueprint(
    "telephony",
    __name__,
    url_prefix="/api/telephony",
    description="The calls the telephone exchange reported (the Virtual ATC's Calls tab)",
)
MAX_WEBHOOK_BYTES = 64 * 1024


class PhoneCallSchema(Schema):
    id = fields.Integer()
    exchange = fields.String()
    call_id = fields.String()
    direction = fields.String()
    state = fields.String(metadata={"description": "ringing, answered, ended or missed"})
    external_number = fields.String(allow_none=True, metadata={"description": "E.164"})
    line_number = fields.String(allow_none=True)
    extension = fields.String(allow_none=True)
    employee_id = fields.Integer(allow_none=True)
    subject_kind = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    contact_person_id = fields.Integer(allow_none=True)
    started_at = Instant()
    answered_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    recording_url = fields.String(allow_none=True)
    interaction_id = fields.Integer(allow_none=True, metadata={"description": "Logged as."})
    offered_task_id = fields.Integer(
        allow_none=True, metadata={"description": "The due call task offered for its outcome."}
    )
    process_id = fields.Integer(
        allow_none=True, metadata={"description": "Registration started for an unknown caller."}
    )


class PhoneCallQuerySchema(Schema):
    employee_id = QueryId()
    state = fields.String(validate=validate.OneOf(list(ORDER)))
    number = fields.String(validate=PHONE, metadata={"description": "The customer's number."})


def _webhook() -> Webhook:
    public_url = settings().telephony_public_url
    url = request.url
    if public_url:
        url = public_url.rstrip("/") + request.full_path.rstrip("?")
    return Webhook(
        body=request.get_data(cache=True),
        headers=request.headers,  # type: ignore[arg-type]  # werkzeug's Headers: a case-insensitive mapping, not typed as one
        form=request.form.to_dict() if request.mimetype.endswith("form-urlencoded") else {},
        url=url,
    )


@hooks.route("/<text(32):exchange>/events")
class ExchangeEvents(MethodView):
    @hooks.doc(
        responses={
            "200": {"description": "The call as logged (or {} for a notification ignored)"},
            "401": {"description": "The signature is missing or wrong"},
            "422": {"description": "Not a call event: errors.json names the field"},
        }
    )
    def post(self, exchange):
        """A call started, was answered or ended: logged, matched, offered or registered"""
        read = FORMATS.get(exchange)
        if read is None:
            raise NotFound("telephone exchange format", exchange)
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return body(413, f"a call event is at most {MAX_WEBHOOK_BYTES} bytes")
        request.max_content_length = MAX_WEBHOOK_BYTES  # a body sent without its length too
        try:
            event = read(_webhook(), settings().telephony_secret)
        except Unsigned as exc:
            return body(401, str(exc))
        if event is None:
            return {}
        with unit_of_work() as session:
            return PhoneCallSchema().dump(
                telephony.receive(session, event, settings().phone_region)
            )

    def get(self, exchange):
        """Zadarma checks the address by asking it to echo ``zd_echo``"""
        if exchange != "zadarma" or "zd_echo" not in request.args:
            raise NotFound("telephone exchange check", exchange)
        return Response(request.args["zd_echo"][:100], mimetype="text/plain")


@blp.route("/calls")
class PhoneCalls(MethodView):
    @blp.arguments(PhoneCallQuerySchema, location="query")
    @blp.response(200, PhoneCallSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Calls the exchange reported, newest first"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = telephony.list_calls(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                region=settings().phone_region,
                **filters,
            )
            return items
