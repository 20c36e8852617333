"""Process instances (start, list, view, go on) and process kinds (definition, flowchart, statistics)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.adapters.flowchart_svg import render
from services.crm.domain.process import PROCESSES, definition
from services.crm.entrypoints.api import process_errors
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.sales_schemas import (
    ProcessDefSchema,
    ProcessQuerySchema,
    ProcessSchema,
    ProcessViewSchema,
    RegistrationSchema,
    StatisticsSchema,
    StepRequestSchema,
    StepTakenSchema,
)
from services.crm.handlers import instances, process_views, processes
from services.crm.handlers.process_views import view

blp = Blueprint(
    "processes",
    __name__,
    url_prefix="/api",
    description="Business processes: the inbound sales process, its instances and statistics",
)
process_errors.register(blp)
SVG = {"200": {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}}


def delay() -> int:
    return settings().reminder_delay_seconds


@blp.route("/processes")
class Processes(MethodView):
    @blp.arguments(ProcessQuerySchema, location="query")
    @blp.response(200, ProcessSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List process instances, newest first"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = process_views.list_processes(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(RegistrationSchema)
    @blp.response(201, ProcessViewSchema)
    def post(self, data):
        """Register an incoming call or e-mail: starts an inbound sales process"""
        with unit_of_work() as session:
            instance = processes.start(session, actor(), data)
            return view(session, instance.id)


@blp.route("/processes/<int:process_id>")
class ProcessById(MethodView):
    @blp.response(200, ProcessViewSchema)
    def get(self, process_id):
        """An instance: its steps (document, who, when, outcome), current step, allowed next steps"""
        with unit_of_work() as session:
            return view(session, process_id)


@blp.route("/processes/<int:process_id>/steps")
class Steps(MethodView):
    @blp.arguments(StepRequestSchema)
    @blp.response(201, StepTakenSchema)
    @blp.alt_response(
        409, description="The step may not follow now; `allowed` lists those that may"
    )
    def post(self, data, process_id):
        """Take the next step: a proposal, meeting, order, assignment, approval or refusal"""
        step = data.pop("step")
        with unit_of_work() as session:
            instance, kind, id_ = processes.take_step(
                session,
                actor(),
                process_id,
                step,
                data,
                delay_seconds=delay(),
                settings=settings(),
            )
            document = {"kind": kind, "id": id_} if kind else None
            return {"process": view(session, instance.id), "document": document}


@blp.route("/processes/<int:process_id>/flowchart.svg")
class InstanceFlowchart(MethodView):
    @blp.doc(responses=SVG)
    def get(self, process_id):
        """The process's flowchart with this instance's steps shaded and its current step outlined"""
        with unit_of_work() as session:
            instance = instances.load(session, process_id)
            visited = {row.step for row in instances.steps(session, process_id)}
            svg = render(definition(instance.kind), visited=visited, current=instance.current_step)
        return Response(svg, mimetype="image/svg+xml")


@blp.route("/process-kinds")
class ProcessKinds(MethodView):
    @blp.response(200, ProcessDefSchema(many=True))
    def get(self):
        """The business processes the CRM runs, as data"""
        return list(PROCESSES.values())


@blp.route("/process-kinds/<text(32):kind>")
class ProcessKind(MethodView):
    @blp.response(200, ProcessDefSchema)
    def get(self, kind):
        """A process definition as data: steps, performers, required fields, continuations"""
        return definition(kind)


@blp.route("/process-kinds/<text(32):kind>/flowchart.svg")
class KindFlowchart(MethodView):
    @blp.doc(responses=SVG)
    def get(self, kind):
        """The process definition drawn as a flowchart (SVG)"""
        return Response(render(definition(kind)), mimetype="image/svg+xml")


@blp.route("/process-kinds/<text(32):kind>/statistics")
class Statistics(MethodView):
    @blp.response(200, StatisticsSchema)
    def get(self, kind):
        """How many instances reach each step, median time between steps, refusal reasons"""
        with unit_of_work() as session:
            return process_views.statistics(session, kind)
