"""Leads: potential customers, their statuses, and conversion into counterparties."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import (
    ConvertLeadSchema,
    CounterpartySchema,
    LeadSchema,
    LeadUpdateSchema,
    NewLeadSchema,
    SubjectQuerySchema,
)
from services.crm.entrypoints.api.subject_status import add_status_routes
from services.crm.handlers import leads, subjects

blp = Blueprint("leads", __name__, url_prefix="/api/leads", description="Potential customers")


@blp.route("")
class Leads(MethodView):
    @blp.arguments(SubjectQuerySchema, location="query")
    @blp.response(200, LeadSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List leads, filtered by status, responsible manager or name"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = subjects.list_subjects(
                session,
                "lead",
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(NewLeadSchema)
    @blp.response(201, LeadSchema)
    def post(self, data):
        """Register a lead, optionally with its first status"""
        with unit_of_work() as session:
            return leads.create_lead(session, actor(), data)


@blp.route("/<int:lead_id>")
class LeadById(MethodView):
    @blp.response(200, LeadSchema)
    def get(self, lead_id):
        """Show a lead"""
        with unit_of_work() as session:
            return subjects.load(session, "lead", lead_id)

    @blp.arguments(LeadUpdateSchema(partial=True))
    @blp.response(200, LeadSchema)
    def patch(self, data, lead_id):
        """Edit a lead: contacts, responsible manager, archiving"""
        with unit_of_work() as session:
            return subjects.update(session, actor(), "lead", lead_id, data)


@blp.route("/<int:lead_id>/convert")
class ConvertLead(MethodView):
    @blp.arguments(ConvertLeadSchema)
    @blp.response(201, CounterpartySchema)
    def post(self, data, lead_id):
        """Convert a lead into a counterparty of a new or existing partner"""
        with unit_of_work() as session:
            return leads.convert_lead(session, actor(), lead_id, data)


add_status_routes(blp, "lead")
