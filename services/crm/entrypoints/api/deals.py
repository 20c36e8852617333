"""Deals: open, edit, move between stages (or post to start the process), history, files."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api import deal_errors
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.deal_kinds import UPLOAD
from services.crm.entrypoints.api.deal_schemas import (
    DealFileSchema,
    DealPatchSchema,
    DealQuerySchema,
    DealSchema,
    MoveSchema,
    StageChangeSchema,
)
from services.crm.entrypoints.api.uploads import read_upload
from services.crm.handlers import deal_moves, deals

blp = Blueprint(
    "deals",
    __name__,
    url_prefix="/api/deals",
    description="Deals (sales opportunities): stages, history, parties, primary demand, files",
)
deal_errors.register(blp)


def policy() -> deal_moves.StallPolicy:
    config = settings()
    return deal_moves.StallPolicy(config.deal_quiet_days, config.deal_stall_escalate_seconds)


@blp.route("")
class Deals(MethodView):
    @blp.arguments(DealQuerySchema, location="query")
    @blp.response(200, DealSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Deals newest first, by stage, state, manager, kind or customer (without parties, lines, files)"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = deals.list_deals(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return deals.listed(session, found)

    @blp.arguments(DealSchema)
    @blp.response(201, DealSchema)
    def post(self, data):
        """Open a deal; a manual kind's deal enters its first stage, a process kind's waits to be posted"""
        with unit_of_work() as session:
            deal = deals.open_deal(session, actor(), data, policy())
            return deals.shown(session, deal)


@blp.route("/<int:deal_id>")
class DealById(MethodView):
    @blp.response(200, DealSchema)
    def get(self, deal_id):
        """A deal with its parties, primary demand and files"""
        with unit_of_work() as session:
            return deals.shown(session, deals.load(session, actor(), deal_id))

    @blp.arguments(DealPatchSchema)
    @blp.response(200, DealSchema)
    def patch(self, data, deal_id):
        """Edit a deal in progress; parties and demand lines are replaced as given"""
        with unit_of_work() as session:
            return deals.shown(session, deals.update_deal(session, actor(), deal_id, data))


@blp.route("/<int:deal_id>/move")
class MoveDeal(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(200, DealSchema)
    @blp.alt_response(
        409, description="The kind does not allow the move; `allowed` lists those it does"
    )
    def post(self, data, deal_id):
        """Move the deal to a stage, or close it won, lost (with a reason) or cancelled; 409 names the allowed moves"""
        with unit_of_work() as session:
            return deals.shown(session, deal_moves.move(session, actor(), deal_id, data, policy()))


@blp.route("/<int:deal_id>/post")
class PostDeal(MethodView):
    @blp.response(200, DealSchema)
    def post(self, deal_id):
        """Post a business-process deal: the process starts, the first stage's performer gets a task"""
        with unit_of_work() as session:
            return deals.shown(session, deal_moves.start(session, actor(), deal_id, policy()))


@blp.route("/<int:deal_id>/history")
class DealHistory(MethodView):
    @blp.response(200, StageChangeSchema(many=True))
    def get(self, deal_id):
        """Every stage change: from, to, when, by whom, seconds spent in the stage left"""
        with unit_of_work() as session:
            return deal_moves.history(session, actor(), deal_id)


@blp.route("/<int:deal_id>/files")
class DealFiles(MethodView):
    @blp.doc(requestBody=UPLOAD)
    @blp.response(201, DealFileSchema)
    def post(self, deal_id):
        """Keep a file with the deal (downloadable at /api/files/<id> by its readers); 413 over the limit"""
        upload = read_upload()
        with unit_of_work() as session:
            return deals.attach_file(session, actor(), deal_id, upload)
