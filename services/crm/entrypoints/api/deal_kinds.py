"""Deal kinds: admins keep their stages and instructions; sales staff read them."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.deal_schemas import (
    DealKindPatchSchema,
    DealKindSchema,
    FlowchartQuerySchema,
    InstructionSchema,
    KindQuerySchema,
    UploadFormSchema,
)
from services.crm.entrypoints.api.processes import SVG
from services.crm.entrypoints.api.uploads import read_upload
from services.crm.handlers import deal_flowchart, deal_kinds
from shared import config

blp = Blueprint(
    "deal_kinds",
    __name__,
    url_prefix="/api/deal-kinds",
    description="Kinds of deals: ordered stages (manual or business-process mode), instructions",
)
UPLOAD = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        # The default of UPLOAD_MAX_BYTES: a larger file is a 413.
                        "maxLength": config.Settings().upload_max_bytes,
                        "description": "At most UPLOAD_MAX_BYTES (20 MiB by default); larger: 413",
                    }
                },
                "required": ["file"],
            }
        }
    }
}


@blp.route("")
class DealKinds(MethodView):
    @blp.arguments(KindQuerySchema, location="query")
    @blp.response(200, DealKindSchema(many=True))
    def get(self, filters):
        """Deal kinds with their stages and instructions"""
        with unit_of_work() as session:
            return deal_kinds.list_kinds(session, actor(), **filters)

    @blp.arguments(DealKindSchema)
    @blp.response(201, DealKindSchema)
    def post(self, data):
        """Define a kind: its mode and its stages in order (admins)"""
        with unit_of_work() as session:
            kind = deal_kinds.create_kind(session, actor(), data)
            return deal_kinds.shown(session, kind)


@blp.route("/<int:kind_id>")
class DealKindById(MethodView):
    @blp.response(200, DealKindSchema)
    def get(self, kind_id):
        """A kind with its stages and instructions"""
        with unit_of_work() as session:
            return deal_kinds.load_kind(session, actor(), kind_id)

    @blp.arguments(DealKindPatchSchema)
    @blp.response(200, DealKindSchema)
    def patch(self, data, kind_id):
        """Rename, describe or retire a kind (admins); its stages stay"""
        with unit_of_work() as session:
            kind = deal_kinds.update_kind(session, actor(), kind_id, data)
            return deal_kinds.shown(session, kind)


@blp.route("/<int:kind_id>/instructions")
class Instructions(MethodView):
    @blp.arguments(InstructionSchema)
    @blp.response(201, InstructionSchema)
    def post(self, data, kind_id):
        """Attach a link (a regulation, a questionnaire) to the kind or one of its stages"""
        with unit_of_work() as session:
            return deal_kinds.add_link(session, actor(), kind_id, data)


@blp.route("/<int:kind_id>/instructions/<int:instruction_id>")
class InstructionById(MethodView):
    @blp.response(204)
    def delete(self, kind_id, instruction_id):
        """Remove an instruction, a link or an uploaded file (the file goes with it) (admins)"""
        with unit_of_work() as session:
            deal_kinds.remove_instruction(session, actor(), kind_id, instruction_id)


@blp.route("/<int:kind_id>/instruction-files")
class InstructionFiles(MethodView):
    @blp.arguments(UploadFormSchema, location="query")
    @blp.doc(requestBody=UPLOAD)
    @blp.response(201, InstructionSchema)
    def post(self, query, kind_id):
        """Upload a file (a template) to the kind or, with ``stage_id``, to one stage; 413 over the limit"""
        upload = read_upload()
        with unit_of_work() as session:
            return deal_kinds.add_file(
                session, actor(), kind_id, query.get("stage_id"), query.get("title"), upload
            )


@blp.route("/<int:kind_id>/flowchart.svg")
class KindFlowchart(MethodView):
    @blp.arguments(FlowchartQuerySchema, location="query")
    @blp.doc(responses=SVG)
    def get(self, query, kind_id):
        """The kind's flowchart: stages, deliverables, performers; with ``deal_id``, its position"""
        with unit_of_work() as session:
            svg = deal_flowchart.flowchart(session, actor(), kind_id, query.get("deal_id"))
        return Response(svg, mimetype="image/svg+xml")
