"""Leads: potential customers, their statuses, and conversion into counterparties."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.schemas import (
    ConvertLeadSchema,
    CounterpartySchema,
    LeadSchema,
    LeadUpdateSchema,
    NewLeadSchema,
    SubjectQuerySchema,
)
from services.crm.entrypoints.api.subject_routes import SubjectApi, add_subject_routes
from services.crm.handlers import leads

blp = Blueprint("leads", __name__, url_prefix="/api/leads", description="Potential customers")

add_subject_routes(
    blp,
    SubjectApi(
        kind="lead",
        schema=LeadSchema,
        new_schema=NewLeadSchema,
        update_schema=LeadUpdateSchema,
        query_schema=SubjectQuerySchema,
        create=leads.create_lead,
        update=lambda session, who, lead_id, changes: leads.update_lead(
            session, who, lead_id, changes, settings()
        ),
        filters="status, responsible manager or name",
    ),
)


@blp.route("/<int:lead_id>/convert")
class ConvertLead(MethodView):
    @blp.arguments(ConvertLeadSchema)
    @blp.response(201, CounterpartySchema)
    def post(self, data, lead_id):
        """Convert a lead into a counterparty of a new or existing partner"""
        with unit_of_work() as session:
            return leads.convert_lead(session, actor(), lead_id, data)
