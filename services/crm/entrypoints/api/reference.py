"""Reference books: interaction statuses and refusal reasons; admins edit them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import (
    InteractionStatusSchema,
    ReferenceQuerySchema,
    RefusalReasonSchema,
)
from services.crm.handlers import reference


def reference_blueprint(
    name: str, path: str, model: type, schema: type, description: str
) -> Blueprint:
    """A list/create/show/edit blueprint for one reference book."""
    blp = Blueprint(name, __name__, url_prefix=f"/api/{path}", description=description)

    @blp.route("")
    class Entries(MethodView):
        @blp.arguments(ReferenceQuerySchema, location="query")
        @blp.response(200, schema(many=True))
        def get(self, filters):
            """List entries in sort order"""
            with unit_of_work() as session:
                return reference.list_entries(session, model, **filters)

        @blp.arguments(schema)
        @blp.response(201, schema)
        def post(self, data):
            """Add an entry (admins only)"""
            with unit_of_work() as session:
                return reference.create_entry(session, actor(), model, data)

    @blp.route("/<int:entry_id>")
    class Entry(MethodView):
        @blp.response(200, schema)
        def get(self, entry_id):
            """Show an entry"""
            with unit_of_work() as session:
                return reference.get_entry(session, model, entry_id)

        @blp.arguments(schema(partial=True))
        @blp.response(200, schema)
        def patch(self, data, entry_id):
            """Edit an entry (admins only); deactivate instead of deleting"""
            with unit_of_work() as session:
                return reference.update_entry(session, actor(), model, entry_id, data)

    return blp


statuses = reference_blueprint(
    "interaction_statuses",
    "interaction-statuses",
    InteractionStatus,
    InteractionStatusSchema,
    "Interaction statuses and the call interval each one sets",
)
refusal_reasons = reference_blueprint(
    "refusal_reasons",
    "refusal-reasons",
    RefusalReason,
    RefusalReasonSchema,
    "Reasons a customer refuses",
)
