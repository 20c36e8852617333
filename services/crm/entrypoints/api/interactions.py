"""Business interactions as documents of their own: record, list, search, create based on."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.analytics.api.records_schemas import Instant
from services.crm.domain.errors import Invalid
from services.crm.entrypoints.api import deal_errors
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.deal_schemas import DealSchema
from services.crm.entrypoints.api.deals import policy
from services.crm.entrypoints.api.sales_schemas import Text
from services.crm.entrypoints.api.schemas import Id, Name, QueryId, Schema
from services.crm.handlers import deals, interaction_docs

blp = Blueprint(
    "interactions",
    __name__,
    url_prefix="/api/interactions",
    description="Calls, e-mails, meetings and other interactions, with full text search",
)
deal_errors.register(blp)
Kind = lambda **kw: fields.String(validate=validate.OneOf(interaction_docs.KINDS), **kw)  # noqa: E731
QueryInstant = lambda **kw: fields.AwareDateTime(  # noqa: E731
    format="iso",
    validate=validate.Range(
        min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
    ),
    **kw,
)


class ParticipantSchema(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(tuple(interaction_docs.PARTICIPANTS))
    )
    id = Id(required=True)


class InteractionSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = Kind(required=True)
    direction = fields.String(
        load_default="outgoing", validate=validate.OneOf(interaction_docs.DIRECTIONS)
    )
    subject = Name(300, required=True, attribute="topic")
    details = Text(allow_none=True, attribute="content")
    participants = fields.List(
        fields.Nested(ParticipantSchema), load_default=list, validate=validate.Length(max=50)
    )
    occurred_at = Instant(attribute="started_at", metadata={"description": "Default: now"})
    deal_id = Id(allow_none=True)
    follows_id = fields.Integer(dump_only=True)
    author_id = fields.Integer(dump_only=True, attribute="responsible_id")
    subject_kind = fields.String(dump_only=True)
    subject_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class FollowUpSchema(InteractionSchema):
    """Omitted subject, participants and deal are the basis interaction's."""

    subject = Name(300, attribute="topic")
    participants = fields.List(fields.Nested(ParticipantSchema), validate=validate.Length(max=50))


class InteractionQuerySchema(Schema):
    participant_kind = fields.String(validate=validate.OneOf(tuple(interaction_docs.PARTICIPANTS)))
    participant_id = QueryId()
    author_id = QueryId()
    kind = Kind()
    deal_id = QueryId()
    date_from = QueryInstant(data_key="from")
    date_to = QueryInstant(data_key="to")
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Words of the subject or details"},
    )


def _fields(data: dict) -> dict:
    """The schema's attribute names back to the handler's words."""
    renamed = {"topic": "subject", "content": "details", "started_at": "occurred_at"}
    return {renamed.get(k, k): v for k, v in data.items()}


@blp.route("")
class Interactions(MethodView):
    @blp.arguments(InteractionQuerySchema, location="query")
    @blp.response(200, InteractionSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Interactions newest first, by participant, author, period, kind, deal or words"""
        if ("participant_kind" in filters) != ("participant_id" in filters):
            raise Invalid("participant_id", "participant_kind and participant_id go together")
        with unit_of_work() as session:
            found, pagination_parameters.item_count = interaction_docs.list_interactions(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return found

    @blp.arguments(InteractionSchema)
    @blp.response(201, InteractionSchema)
    def post(self, data):
        """Record a call, e-mail, meeting or other interaction"""
        with unit_of_work() as session:
            return interaction_docs.record(session, actor(), _fields(data), policy())


@blp.route("/<int:interaction_id>")
class InteractionById(MethodView):
    @blp.response(200, InteractionSchema)
    def get(self, interaction_id):
        """An interaction"""
        with unit_of_work() as session:
            return interaction_docs.load(session, actor(), interaction_id)


@blp.route("/<int:interaction_id>/follow-up")
class FollowUp(MethodView):
    @blp.arguments(FollowUpSchema)
    @blp.response(201, InteractionSchema)
    def post(self, data, interaction_id):
        """A follow-up interaction based on this one (its participants and deal by default)"""
        with unit_of_work() as session:
            return interaction_docs.follow_up(
                session, actor(), interaction_id, _fields(data), policy()
            )


@blp.route("/<int:interaction_id>/deal")
class DealFromInteraction(MethodView):
    @blp.arguments(DealSchema)
    @blp.response(201, DealSchema)
    def post(self, data, interaction_id):
        """Open a deal from this interaction; both keep the link"""
        with unit_of_work() as session:
            deal = interaction_docs.open_deal(session, actor(), interaction_id, data, policy())
            return deals.shown(session, deal)
