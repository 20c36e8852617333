"""Reference data of orders: items (with the department and employee that fulfil them), contracts."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.sales_schemas import (
    ContractQuerySchema,
    ContractSchema,
    ItemQuerySchema,
    ItemSchema,
)
from services.crm.handlers import catalogue

items = Blueprint("items", __name__, url_prefix="/api/items", description="Items sold")
contracts = Blueprint(
    "contracts", __name__, url_prefix="/api/contracts", description="Contracts with counterparties"
)


@items.route("")
class Items(MethodView):
    @items.arguments(ItemQuerySchema, location="query")
    @items.response(200, ItemSchema(many=True))
    @items.paginate()
    def get(self, filters, pagination_parameters):
        """List items by name"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = catalogue.list_items(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return found

    @items.arguments(ItemSchema)
    @items.response(201, ItemSchema)
    def post(self, data):
        """Add an item"""
        with unit_of_work() as session:
            return catalogue.create_item(session, actor(), data)


@items.route("/<int:item_id>")
class ItemById(MethodView):
    @items.arguments(ItemSchema(partial=True))
    @items.response(200, ItemSchema)
    def patch(self, data, item_id):
        """Edit an item, e.g. put it in an item group"""
        with unit_of_work() as session:
            return catalogue.update_item(session, actor(), item_id, data)


@contracts.route("")
class Contracts(MethodView):
    @contracts.arguments(ContractQuerySchema, location="query")
    @contracts.response(200, ContractSchema(many=True))
    @contracts.paginate()
    def get(self, filters, pagination_parameters):
        """List contracts, e.g. one counterparty's"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = catalogue.list_contracts(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return found

    @contracts.arguments(ContractSchema)
    @contracts.response(201, ContractSchema)
    def post(self, data):
        """Add a contract with a counterparty"""
        with unit_of_work() as session:
            return catalogue.create_contract(session, actor(), data)
