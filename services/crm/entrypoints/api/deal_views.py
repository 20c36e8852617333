"""What surrounds a deal: its timeline, its environment (with the SVG graph), and a partner's
sales history across its group of companies."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import fields, validate

from services.crm.adapters.environment_svg import render
from services.crm.analytics.api.respond import reader_locale
from services.crm.domain import deals as rules
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.deal_schemas import DealSchema
from services.crm.entrypoints.api.deals import blp
from services.crm.entrypoints.api.processes import SVG
from services.crm.entrypoints.api.schemas import Id, Name, Schema
from services.crm.handlers import deal_environment, deal_timeline, deals, sales_history
from shared.i18n import translate


class TimelineEntrySchema(Schema):
    at = fields.AwareDateTime()
    entry = fields.String(
        metadata={
            "description": "call, email, meeting, other, a process step, task, task_outcome, "
            "order, file, stage_change"
        }
    )
    ref_id = fields.Integer(metadata={"description": "The id of the interaction, task, order..."})
    title = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    by_id = fields.Integer(allow_none=True)


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(tuple(rules.ENVIRONMENT_ROLES)))
    partner_id = Id(allow_none=True)
    contact_person_id = Id(allow_none=True)
    name = Name(300)
    influence = fields.String(allow_none=True, validate=validate.OneOf(rules.INFLUENCES))
    attitude = fields.String(allow_none=True, validate=validate.OneOf(rules.ATTITUDES))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class LinkSchema(Schema):
    id = fields.Integer(dump_only=True)
    source_id = Id(required=True, metadata={"description": "The member who influences"})
    target_id = Id(required=True, metadata={"description": "The member influenced"})
    kind = fields.String(load_default="influences", validate=validate.Length(min=1, max=100))


class EnvironmentSchema(Schema):
    members = fields.List(fields.Nested(MemberSchema))
    links = fields.List(fields.Nested(LinkSchema))


@blp.route("/<int:deal_id>/timeline")
class Timeline(MethodView):
    @blp.response(200, TimelineEntrySchema(many=True))
    @blp.paginate()
    def get(self, deal_id, pagination_parameters):
        """Everything about the deal and its parties since it opened, oldest first"""
        with unit_of_work() as session:
            rows, pagination_parameters.item_count = deal_timeline.timeline(
                session,
                actor(),
                deal_id,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
            )
            return rows


@blp.route("/<int:deal_id>/environment")
class Environment(MethodView):
    @blp.response(200, EnvironmentSchema)
    def get(self, deal_id):
        """Competitors, subcontractors, influential persons and who influences whom"""
        with unit_of_work() as session:
            return deal_environment.environment(session, actor(), deal_id)

    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    def post(self, data, deal_id):
        """Add someone to the deal's environment"""
        with unit_of_work() as session:
            return deal_environment.add_member(session, actor(), deal_id, data)


@blp.route("/<int:deal_id>/environment/<int:member_id>")
class EnvironmentMember(MethodView):
    @blp.response(204)
    def delete(self, deal_id, member_id):
        """Remove someone (and their links) from the environment"""
        with unit_of_work() as session:
            deal_environment.remove_member(session, actor(), deal_id, member_id)


@blp.route("/<int:deal_id>/environment/links")
class EnvironmentLinks(MethodView):
    @blp.arguments(LinkSchema)
    @blp.response(201, LinkSchema)
    def post(self, data, deal_id):
        """Say who influences whom"""
        with unit_of_work() as session:
            return deal_environment.link(session, actor(), deal_id, data)


@blp.route("/<int:deal_id>/environment.svg")
class EnvironmentGraph(MethodView):
    @blp.doc(responses=SVG)
    def get(self, deal_id):
        """The environment as a graph, labelled in the reader's language"""
        locale = reader_locale()
        with unit_of_work() as session:
            deal = deals.load(session, actor(), deal_id)
            found = deal_environment.environment(session, actor(), deal_id)
            svg = render(
                deal.name,
                found["members"],
                found["links"],
                lambda role: translate(locale, rules.ENVIRONMENT_ROLES[role]),
            )
        return Response(svg, mimetype="image/svg+xml")


class SalesHistorySchema(Schema):
    partner_id = fields.Integer()
    counterparty_ids = fields.List(fields.Integer())
    deals = fields.List(fields.Nested(DealSchema))
    orders = fields.List(fields.Dict())
    won_amount = fields.Decimal(as_string=True)
    orders_amount = fields.Decimal(as_string=True)


def register_sales_history(partners_blp) -> None:
    """``/api/partners/<id>/sales-history`` on the partners' blueprint."""

    @partners_blp.route("/<int:partner_id>/sales-history")
    class SalesHistory(MethodView):
        @partners_blp.response(200, SalesHistorySchema)
        def get(self, partner_id):
            """The partner's deals and orders, those of all its counterparties included"""
            with unit_of_work() as session:
                return sales_history.history(session, actor(), partner_id)
