"""The calls panel (planned calls from the scheduler's read model) and rescheduling a call."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.domain.calls import ACTIVE_STATES
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.fields import Day, Instant
from services.crm.entrypoints.api.schemas import QueryId, Schema
from services.crm.handlers import calls
from shared.contracts import SUBJECT_KINDS

blp = Blueprint(
    "calls",
    __name__,
    url_prefix="/api",
    description="Planned calls: the calls panel and rescheduling",
)


PAGINATION = ("page", "page_size")


class PanelQuerySchema(Schema):
    """Filters of the calls panel; an unknown one is refused (422) rather than ignored."""

    responsible_id = QueryId(
        metadata={
            "description": "A manager's calls: their subjects' and the due calls given to them "
            "in turn. A manager gets their own without it."
        }
    )
    status_id = QueryId()
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = QueryId(metadata={"description": "One customer (with subject_kind)."})
    day = fields.String(
        validate=validate.Length(max=10),
        metadata={"description": '"today" or a date (YYYY-MM-DD), in the reader\'s time zone.'},
    )
    date_from = Day(metadata={"description": "A period's first day (included)."})
    date_to = Day(metadata={"description": "A period's last day (included)."})

    @ma.pre_load
    def leave_pagination(self, data, **kwargs):
        """page and page_size are the pagination's, read beside these filters."""
        return {name: data[name] for name in data if name not in PAGINATION}


class CallPlanQuerySchema(PanelQuerySchema):
    overdue = fields.Boolean(metadata={"description": "Only overdue (true) or only on time."})
    state = fields.String(
        validate=validate.OneOf(ACTIVE_STATES),
        metadata={"description": "planned (not yet due) or due (given to a manager)."},
    )


class CallPlanSchema(Schema):
    plan_id = fields.Integer()
    subject_kind = fields.String()
    subject_id = fields.Integer()
    subject_name = fields.String(allow_none=True)
    responsible_id = fields.Integer(allow_none=True)
    status_id = fields.Integer(allow_none=True)
    status_name = fields.String(allow_none=True)
    next_call_at = Instant(allow_none=True)
    state = fields.String(metadata={"description": "planned, or due (emitted, not yet done)"})
    assignee_id = fields.Integer(
        allow_none=True, metadata={"description": "Who was given the due call (its open task)."}
    )
    overdue = fields.Boolean()
    revision = fields.Integer()
    updated_at = Instant()


class RescheduleCallSchema(Schema):
    due_at = Instant(
        required=True,
        metadata={"description": "When to call, with its offset: 2026-12-01T10:00:00+01:00."},
    )


class RescheduleRequestedSchema(Schema):
    subject_kind = fields.String()
    subject_id = fields.Integer()
    plan_id = fields.Integer()
    due_at = Instant()
    requested_by_id = fields.Integer()
    message_id = fields.UUID(metadata={"description": "Id of the command sent to the scheduler."})


@blp.route("/call-plans")
class CallPlans(MethodView):
    @blp.arguments(CallPlanQuerySchema, location="query", unknown=ma.RAISE)
    @blp.response(200, CallPlanSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List planned and due calls by due time, with the overdue ones flagged"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = calls.list_plans(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items


class DoneCallQuerySchema(PanelQuerySchema):
    pass


class DoneCallSchema(Schema):
    interaction_id = fields.Integer()
    subject_kind = fields.String()
    subject_id = fields.Integer()
    subject_name = fields.String(allow_none=True)
    status_id = fields.Integer(
        allow_none=True, metadata={"description": "The subject's status now."}
    )
    responsible_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    done_at = Instant(allow_none=True)


@blp.route("/calls/done")
class DoneCalls(MethodView):
    @blp.arguments(DoneCallQuerySchema, location="query", unknown=ma.RAISE)
    @blp.response(200, DoneCallSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List calls made, most recent first, with their outcome"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = calls.list_done_calls(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items


def _add_reschedule_route(kind: str, collection: str) -> None:
    @blp.route(f"/{collection}/<int:subject_id>/reschedule-call", endpoint=f"{kind}_reschedule")
    class RescheduleCall(MethodView):
        @blp.arguments(RescheduleCallSchema)
        @blp.response(202, RescheduleRequestedSchema)
        def post(self, data, subject_id):
            """Ask the scheduler to move the planned call; the panel shows it once re-planned"""
            with unit_of_work() as session:
                return calls.request_reschedule(session, actor(), kind, subject_id, data["due_at"])


_add_reschedule_route("lead", "leads")
_add_reschedule_route("counterparty", "counterparties")
