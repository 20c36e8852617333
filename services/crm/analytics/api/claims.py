"""Claims work: customers' claims about orders, with deadline, responsible and resolution."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.analytics.api.records_schemas import (
    ClaimPatchSchema,
    ClaimQuerySchema,
    ClaimResolutionSchema,
    ClaimSchema,
)
from services.crm.analytics.handlers import claims
from services.crm.entrypoints.api.context import actor, unit_of_work

blp = Blueprint(
    "claims",
    __name__,
    url_prefix="/api/claims",
    description="Claims work: reminded before the deadline, escalated to the head after it",
)


def remind_before() -> timedelta:
    return timedelta(seconds=current_app.config["SETTINGS"].claim_remind_before_seconds)


@blp.route("")
class Claims(MethodView):
    @blp.arguments(ClaimQuerySchema, location="query")
    @blp.response(200, ClaimSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List claims by deadline: open, resolved, overdue; one customer's or one manager's"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = claims.list_claims(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return [claims.shown(claim) for claim in found]

    @blp.arguments(ClaimSchema)
    @blp.response(201, ClaimSchema)
    def post(self, data):
        """Take a claim in: its responsible is reminded before the deadline"""
        with unit_of_work() as session:
            return claims.shown(
                claims.register(session, actor(), data, remind_before=remind_before())
            )


@blp.route("/<int:claim_id>")
class ClaimById(MethodView):
    @blp.response(200, ClaimSchema)
    def get(self, claim_id):
        """Show a claim"""
        with unit_of_work() as session:
            return claims.shown(claims.load(session, actor(), claim_id))

    @blp.arguments(ClaimPatchSchema)
    @blp.response(200, ClaimSchema)
    def patch(self, data, claim_id):
        """Edit an open claim; a new deadline or responsible re-plans the reminder"""
        with unit_of_work() as session:
            claim = claims.update(session, actor(), claim_id, data, remind_before=remind_before())
            return claims.shown(claim)


@blp.route("/<int:claim_id>/resolve")
class ResolveClaim(MethodView):
    @blp.arguments(ClaimResolutionSchema)
    @blp.response(200, ClaimSchema)
    def post(self, data, claim_id):
        """Resolve the claim with its outcome: its reminder and escalation are called off"""
        with unit_of_work() as session:
            return claims.shown(claims.resolve(session, actor(), claim_id, **data))
