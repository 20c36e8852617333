"""Documents of the sales process (interactions): view, edit while open, start, complete."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api import process_errors
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.processes import delay
from services.crm.entrypoints.api.sales_schemas import (
    DocumentCompletionSchema,
    DocumentPatchSchema,
    DocumentQuerySchema,
    DocumentSchema,
)
from services.crm.handlers import documents, process_documents

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api/documents",
    description="Interactions of the sales process: registration, first contact, proposal, "
    "meeting, approvals",
)
process_errors.register(blp)


@blp.route("")
class Documents(MethodView):
    @blp.arguments(DocumentQuerySchema, location="query")
    @blp.response(200, DocumentSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List process documents, newest first: e.g. an instance's, or the approvals I am named on"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = documents.list_documents(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items


@blp.route("/<int:document_id>")
class DocumentById(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, document_id):
        """Show a document"""
        with unit_of_work() as session:
            return documents.load(session, document_id)

    @blp.arguments(DocumentPatchSchema)
    @blp.response(200, DocumentSchema)
    def patch(self, data, document_id):
        """Edit an open document; start and end only of meetings; naming an order's approver reminds them"""
        with unit_of_work() as session:
            return process_documents.update_document(
                session, actor(), document_id, data, delay_seconds=delay()
            )


@blp.route("/<int:document_id>/start")
class StartDocument(MethodView):
    @blp.response(200, DocumentSchema)
    def post(self, document_id):
        """The interaction starts now: its start is recorded"""
        with unit_of_work() as session:
            return process_documents.start_document(session, actor(), document_id)


@blp.route("/<int:document_id>/complete")
class CompleteDocument(MethodView):
    @blp.arguments(DocumentCompletionSchema)
    @blp.response(200, DocumentSchema)
    @blp.alt_response(422, description="Required fields are missing: each one is named")
    def post(self, data, document_id):
        """Complete a document; the process makes what follows (first contact, approved order...)"""
        with unit_of_work() as session:
            return process_documents.complete_document(
                session, actor(), document_id, data.get("outcome"), delay_seconds=delay()
            )


@blp.route("/<int:document_id>/cancel")
class CancelDocument(MethodView):
    @blp.response(200, DocumentSchema)
    def post(self, document_id):
        """Call off an approval event (and its task and reminders)"""
        with unit_of_work() as session:
            return process_documents.cancel_document(session, actor(), document_id)
