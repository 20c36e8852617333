"""Counterparties: legal entities and individuals, and their interaction statuses."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import (
    CounterpartyQuerySchema,
    CounterpartySchema,
    CounterpartyUpdateSchema,
    NewCounterpartySchema,
)
from services.crm.entrypoints.api.subject_status import add_status_routes
from services.crm.handlers import counterparties, subjects

blp = Blueprint(
    "counterparties",
    __name__,
    url_prefix="/api/counterparties",
    description="Legal entities and individuals",
)


@blp.route("")
class Counterparties(MethodView):
    @blp.arguments(CounterpartyQuerySchema, location="query")
    @blp.response(200, CounterpartySchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List counterparties, filtered by status, responsible manager, partner or name"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = subjects.list_subjects(
                session,
                "counterparty",
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(NewCounterpartySchema)
    @blp.response(201, CounterpartySchema)
    def post(self, data):
        """Register a counterparty of a partner"""
        with unit_of_work() as session:
            return counterparties.create_counterparty(session, actor(), data)


@blp.route("/<int:counterparty_id>")
class CounterpartyById(MethodView):
    @blp.response(200, CounterpartySchema)
    def get(self, counterparty_id):
        """Show a counterparty"""
        with unit_of_work() as session:
            return subjects.load(session, "counterparty", counterparty_id)

    @blp.arguments(CounterpartyUpdateSchema(partial=True))
    @blp.response(200, CounterpartySchema)
    def patch(self, data, counterparty_id):
        """Edit a counterparty"""
        with unit_of_work() as session:
            return counterparties.update_counterparty(session, actor(), counterparty_id, data)


add_status_routes(blp, "counterparty")
