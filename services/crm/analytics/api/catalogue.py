"""Item groups (the BCG matrix's units) and loyalty cards issued to customers."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.analytics.api.records_schemas import (
    ItemGroupSchema,
    LoyaltyCardPatchSchema,
    LoyaltyCardQuerySchema,
    LoyaltyCardSchema,
)
from services.crm.analytics.handlers import cards, groups
from services.crm.entrypoints.api.context import actor, unit_of_work

item_groups = Blueprint(
    "item-groups", __name__, url_prefix="/api/item-groups", description="Item groups"
)
loyalty_cards = Blueprint(
    "loyalty-cards", __name__, url_prefix="/api/loyalty-cards", description="Loyalty cards"
)


@item_groups.route("")
class ItemGroups(MethodView):
    @item_groups.response(200, ItemGroupSchema(many=True))
    @item_groups.paginate()
    def get(self, pagination_parameters):
        """List item groups by name"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = groups.list_groups(
                session, page=pagination_parameters.page, page_size=pagination_parameters.page_size
            )
            return found

    @item_groups.arguments(ItemGroupSchema)
    @item_groups.response(201, ItemGroupSchema)
    def post(self, data):
        """Add an item group (admins)"""
        with unit_of_work() as session:
            return groups.save(session, actor(), data)


@item_groups.route("/<int:group_id>")
class ItemGroupById(MethodView):
    @item_groups.response(200, ItemGroupSchema)
    def get(self, group_id):
        """Show an item group"""
        with unit_of_work() as session:
            return groups.load(session, group_id)

    @item_groups.arguments(ItemGroupSchema)
    @item_groups.response(200, ItemGroupSchema)
    def put(self, data, group_id):
        """Rename an item group (admins)"""
        with unit_of_work() as session:
            return groups.save(session, actor(), data, group_id)


@loyalty_cards.route("")
class LoyaltyCards(MethodView):
    @loyalty_cards.arguments(LoyaltyCardQuerySchema, location="query")
    @loyalty_cards.response(200, LoyaltyCardSchema(many=True))
    @loyalty_cards.paginate()
    def get(self, filters, pagination_parameters):
        """List loyalty cards by number, e.g. one holder's"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = cards.list_cards(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return found

    @loyalty_cards.arguments(LoyaltyCardSchema)
    @loyalty_cards.response(201, LoyaltyCardSchema)
    def post(self, data):
        """Issue a card to a counterparty: number, holder, discount, validity"""
        with unit_of_work() as session:
            return cards.issue(session, actor(), data)


@loyalty_cards.route("/<int:card_id>")
class LoyaltyCardById(MethodView):
    @loyalty_cards.response(200, LoyaltyCardSchema)
    def get(self, card_id):
        """Show a loyalty card"""
        with unit_of_work() as session:
            return cards.load(session, card_id)

    @loyalty_cards.arguments(LoyaltyCardPatchSchema(partial=True))
    @loyalty_cards.response(200, LoyaltyCardSchema)
    def patch(self, data, card_id):
        """Change the discount, the validity or the person holding it; block the card"""
        with unit_of_work() as session:
            return cards.change(session, actor(), card_id, data)
