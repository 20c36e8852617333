"""Partners, their contact persons and the links between partners."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.adapters.orm import Partner
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.schemas import (
    ContactPersonSchema,
    PartnerLinkSchema,
    PartnerQuerySchema,
    PartnerSchema,
)
from services.crm.handlers import partners
from services.crm.handlers.common import get as get_or_404

blp = Blueprint("partners", __name__, url_prefix="/api/partners", description="Business partners")
contacts = Blueprint(
    "contacts", __name__, url_prefix="/api/contacts", description="Contact persons"
)


@blp.route("")
class Partners(MethodView):
    @blp.arguments(PartnerQuerySchema, location="query")
    @blp.response(200, PartnerSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List partners"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = partners.list_partners(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(PartnerSchema)
    @blp.response(201, PartnerSchema)
    def post(self, data):
        """Create a partner"""
        with unit_of_work() as session:
            return partners.create_partner(session, actor(), data)


@blp.route("/<int:partner_id>")
class PartnerById(MethodView):
    @blp.response(200, PartnerSchema)
    def get(self, partner_id):
        """Show a partner"""
        with unit_of_work() as session:
            return get_or_404(session, Partner, partner_id, "partner")

    @blp.arguments(PartnerSchema(partial=True))
    @blp.response(200, PartnerSchema)
    def patch(self, data, partner_id):
        """Edit a partner"""
        with unit_of_work() as session:
            return partners.update_partner(session, actor(), partner_id, data)


@blp.route("/<int:partner_id>/contacts")
class PartnerContacts(MethodView):
    @blp.response(200, ContactPersonSchema(many=True))
    def get(self, partner_id):
        """List the partner's contact persons"""
        with unit_of_work() as session:
            return partners.list_contacts(session, partner_id)

    @blp.arguments(ContactPersonSchema)
    @blp.response(201, ContactPersonSchema)
    def post(self, data, partner_id):
        """Add a contact person to the partner"""
        with unit_of_work() as session:
            return partners.add_contact(session, actor(), partner_id, data, settings().phone_region)


@blp.route("/<int:partner_id>/links")
class PartnerLinks(MethodView):
    @blp.response(200, PartnerLinkSchema(many=True))
    def get(self, partner_id):
        """List the partner's links to other partners, both directions"""
        with unit_of_work() as session:
            return partners.list_links(session, partner_id)

    @blp.arguments(PartnerLinkSchema)
    @blp.response(201, PartnerLinkSchema)
    def post(self, data, partner_id):
        """Link the partner to another partner"""
        with unit_of_work() as session:
            return partners.link_partners(
                session, actor(), partner_id, data["related_partner_id"], data["kind"]
            )


@blp.route("/<int:partner_id>/links/<int:link_id>")
class PartnerLink(MethodView):
    @blp.response(204)
    def delete(self, partner_id, link_id):
        """Remove a link"""
        with unit_of_work() as session:
            partners.unlink(session, actor(), partner_id, link_id)


@contacts.route("/<int:contact_id>")
class ContactById(MethodView):
    @contacts.arguments(ContactPersonSchema(partial=True))
    @contacts.response(200, ContactPersonSchema)
    def patch(self, data, contact_id):
        """Edit a contact person"""
        with unit_of_work() as session:
            return partners.update_contact(
                session, actor(), contact_id, data, settings().phone_region
            )

    @contacts.response(204)
    def delete(self, contact_id):
        """Remove a contact person"""
        with unit_of_work() as session:
            partners.delete_contact(session, actor(), contact_id)
