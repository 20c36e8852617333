"""Customer orders: view, edit, post; the execution department's new orders."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api import process_errors
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.processes import delay
from services.crm.entrypoints.api.sales_schemas import (
    ExecutorSchema,
    OrderPatchSchema,
    OrderQuerySchema,
    OrderSchema,
)
from services.crm.handlers import orders, process_orders

blp = Blueprint("orders", __name__, url_prefix="/api/orders", description="Customer orders")
process_errors.register(blp)


@blp.route("")
class Orders(MethodView):
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List orders, newest first"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = orders.list_orders(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return orders.shown(session, items)


@blp.route("/new")
class NewOrders(MethodView):
    @blp.response(200, OrderSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """New orders: an executor's own, the execution department's for its head"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = orders.list_new(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
            )
            return orders.shown(session, items)


@blp.route("/<int:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """Show an order with its lines"""
        with unit_of_work() as session:
            return orders.shown(session, orders.load(session, order_id))

    @blp.arguments(OrderPatchSchema)
    @blp.response(200, OrderSchema)
    def patch(self, data, order_id):
        """Edit a draft (or rejected) order; lines are replaced whole and filled from their items"""
        with unit_of_work() as session:
            return orders.shown(
                session, process_orders.update_order(session, actor(), order_id, data)
            )


@blp.route("/<int:order_id>/post")
class PostOrder(MethodView):
    @blp.response(200, OrderSchema)
    @blp.alt_response(422, description="Required fields are missing: each one is named")
    def post(self, order_id):
        """Post the order: to approval if it requires one, else to its executor"""
        with unit_of_work() as session:
            return orders.shown(
                session,
                process_orders.post_order(session, actor(), order_id, delay_seconds=delay()),
            )


@blp.route("/<int:order_id>/executor")
class NameExecutor(MethodView):
    @blp.arguments(ExecutorSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """The head of execution names the executor of an order that reached them"""
        with unit_of_work() as session:
            return orders.shown(
                session,
                process_orders.pass_order(
                    session, actor(), order_id, data["executor_id"], delay_seconds=delay()
                ),
            )


@blp.route("/<int:order_id>/take")
class TakeOrder(MethodView):
    @blp.response(200, OrderSchema)
    def post(self, order_id):
        """The executor takes the order into work: it leaves the new orders"""
        with unit_of_work() as session:
            return orders.shown(session, orders.take(session, actor(), order_id))
