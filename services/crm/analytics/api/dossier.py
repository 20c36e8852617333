"""The client dossier: everything about a partner in one request."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from services.crm.analytics.api.records_schemas import ClaimSchema, LoyaltyCardSchema
from services.crm.analytics.handlers import dossier
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.fields import Instant
from services.crm.entrypoints.api.schemas import (
    ContactPersonSchema,
    CounterpartySchema,
    PartnerLinkSchema,
    PartnerSchema,
    Schema,
    StatusAssignmentSchema,
)

blp = Blueprint("dossier", __name__, url_prefix="/api/partners", description="The client dossier")


class DossierStatusSchema(Schema):
    status_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    assigned_at = Instant(allow_none=True)
    relationship_stage = fields.String(allow_none=True)
    history = fields.List(fields.Nested(StatusAssignmentSchema))


class DossierOrderLineSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    total = fields.Decimal(places=2, as_string=True)
    loyalty_card_id = fields.Integer(allow_none=True)
    posted_at = Instant(allow_none=True)
    routed_at = Instant(allow_none=True)


class DossierOrdersSchema(Schema):
    count = fields.Integer()
    latest = fields.List(fields.Nested(DossierOrderLineSchema))


class DossierInteractionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    direction = fields.String()
    topic = fields.String(allow_none=True)
    subject_kind = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    state = fields.String()
    outcome = fields.String(allow_none=True)
    responsible_id = fields.Integer(allow_none=True)
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)
    created_at = Instant()


class DossierClaimsSchema(Schema):
    open = fields.Integer()
    latest = fields.List(fields.Nested(ClaimSchema))


class DossierDealSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    state = fields.String()
    stage_code = fields.String(allow_none=True)
    amount = fields.Decimal(as_string=True)
    currency = fields.String()


class DossierDealsSchema(Schema):
    """The counterparty's deals the reader may read (services/crm/handlers/deal_reports.py)."""

    in_progress = fields.Integer()
    won = fields.Integer()
    lost = fields.Integer()
    cancelled = fields.Integer()
    won_amount = fields.Decimal(as_string=True)
    latest = fields.List(fields.Nested(DossierDealSchema))


class DossierClassesSchema(Schema):
    abc = fields.String(allow_none=True)
    xyz = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    run_id = fields.Integer()
    classified_at = Instant(allow_none=True)


class DossierLoyaltySchema(Schema):
    orders = fields.Integer()
    revenue = fields.Decimal(places=2, as_string=True)
    first_order_at = Instant()
    last_order_at = Instant()
    average_gap_days = fields.Float(allow_none=True)
    days_since_last = fields.Float()
    going_dormant = fields.Boolean()
    cards = fields.List(fields.Nested(LoyaltyCardSchema))


class CounterpartyDossierSchema(Schema):
    counterparty = fields.Nested(CounterpartySchema)
    status = fields.Nested(DossierStatusSchema)
    orders = fields.Nested(DossierOrdersSchema)
    interactions = fields.List(fields.Nested(DossierInteractionSchema))
    claims = fields.Nested(DossierClaimsSchema)
    classes = fields.Nested(DossierClassesSchema, allow_none=True)
    loyalty = fields.Nested(DossierLoyaltySchema)
    deals = fields.Nested(DossierDealsSchema)


class DossierSchema(Schema):
    partner = fields.Nested(PartnerSchema)
    contacts = fields.List(fields.Nested(ContactPersonSchema))
    links = fields.List(fields.Nested(PartnerLinkSchema))
    counterparties = fields.List(fields.Nested(CounterpartyDossierSchema))


@blp.route("/<int:partner_id>/dossier")
class Dossier(MethodView):
    @blp.response(200, DossierSchema)
    def get(self, partner_id):
        """Everything about a partner: counterparties, contacts, statuses, calls, orders, claims,
        classes and loyalty"""
        with unit_of_work() as session:
            return dossier.dossier(session, actor(), partner_id)
