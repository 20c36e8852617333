"""Tasks: my tasks (or my department's), setting one by hand, completing it with an outcome."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.domain.tasks import OUTCOMES, Completion
from services.crm.entrypoints.api import deal_errors, process_errors
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.fields import Instant
from services.crm.entrypoints.api.schemas import Id, Name, QueryId, Schema
from services.crm.handlers import outcomes, tasks
from shared.contracts import SUBJECT_KINDS, TASK_KINDS
from shared.db import utcnow

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Tasks for people")
# A process document's task completes the document: its missing fields are named (422).
process_errors.register(blp)
# A deal's stage task moves the deal: fields its stage requires are named (422).
deal_errors.register(blp)

OUTCOME_HELP = "; ".join(f"{kind}: {', '.join(o)}" for kind, o in OUTCOMES.items())


class TaskSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    title = Name(
        load_default=None, metadata={"description": "Made from the kind and subject when omitted."}
    )
    description = fields.String(allow_none=True)
    assignee_id = Id(required=True)
    author_id = fields.Integer(dump_only=True)
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS), allow_none=True)
    subject_id = Id(allow_none=True)
    due_at = Instant(
        required=True,
        metadata={"description": "Overdue after it; a call's is the end of its working day."},
    )
    planned_at = Instant(dump_only=True, metadata={"description": "A call task's planned moment."})
    state = fields.String(dump_only=True)
    overdue = fields.Method("_overdue", dump_only=True)
    outcomes = fields.Method("_outcomes", dump_only=True)
    details = fields.Dict(dump_only=True)
    basis_task_id = fields.Integer(dump_only=True)
    plan_id = fields.Integer(dump_only=True)
    outcome = fields.String(dump_only=True)
    result = fields.String(dump_only=True)
    completed_at = Instant(dump_only=True)
    created_at = Instant(dump_only=True)

    def _overdue(self, task) -> bool:
        return tasks.rules.is_overdue(task.state, task.due_at, utcnow())

    def _outcomes(self, task) -> list[str]:
        return list(OUTCOMES[task.kind]) if task.state == "open" else []


class TaskQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(("open", "overdue", "done", "cancelled")))
    assignee_id = QueryId()
    kind = fields.String(validate=validate.OneOf(TASK_KINDS))
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = QueryId()


class CompletionSchema(Schema):
    outcome = fields.String(
        required=True, validate=validate.Length(max=32), metadata={"description": OUTCOME_HELP}
    )
    result = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    refusal_reason_id = Id(metadata={"description": "Required for a refusal or a failure."})
    status_id = Id(metadata={"description": "Required for set_cyclicality: the new status."})
    call_back_at = Instant(
        metadata={"description": "For no_answer / call_back_later; default later today."},
    )


class CompletedSchema(Schema):
    task = fields.Nested(TaskSchema)
    created_tasks = fields.List(fields.Nested(TaskSchema))
    next_call_at = Instant(
        allow_none=True,
        metadata={"description": "no_answer / call_back_later: the call back, in working hours."},
    )


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """My tasks (heads: the department's), in due order: open, overdue, done"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = tasks.list_tasks(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """Set a task by hand, e.g. a work assignment to an executor"""
        with unit_of_work() as session:
            return tasks.create_task(session, actor(), data)


@blp.route("/<int:task_id>")
class TaskById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """Show a task with the subject's contacts and last interactions"""
        with unit_of_work() as session:
            return tasks.load_visible(session, actor(), task_id)


@blp.route("/<int:task_id>/complete")
class CompleteTask(MethodView):
    @blp.arguments(CompletionSchema)
    @blp.response(200, CompletedSchema)
    def post(self, data, task_id):
        """Complete a task with its outcome and result; the outcome opens the next step"""
        with unit_of_work() as session:
            return outcomes.complete_task(
                session, actor(), task_id, Completion(**data), settings=settings()
            )


@blp.route("/<int:task_id>/cancel")
class CancelTask(MethodView):
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Cancel an open task"""
        with unit_of_work() as session:
            return tasks.cancel_task(session, actor(), task_id)
