"""Status assignment and history routes, the same for leads and counterparties."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import (
    AssignmentResultSchema,
    AssignStatusSchema,
    StatusAssignmentSchema,
)
from services.crm.handlers import subjects


def add_status_routes(blp: Blueprint, kind: str) -> None:
    """Register ``/<id>/status`` (POST) and ``/<id>/status-history`` (GET) on ``blp``."""

    @blp.route("/<int:subject_id>/status")
    class Status(MethodView):
        @blp.arguments(AssignStatusSchema)
        @blp.response(200, AssignmentResultSchema)
        def post(self, data, subject_id):
            """Assign an interaction status (a no-op when it is already the current one)"""
            with unit_of_work() as session:
                subject, changed = subjects.assign_status(
                    session, actor(), kind, subject_id, data["status_id"], data.get("reason")
                )
                return {
                    "changed": changed,
                    "subject_id": subject.id,
                    "status_id": subject.status_id,
                    "status_assigned_at": subject.status_assigned_at,
                }

    Status.__name__ = f"{kind.title()}Status"

    @blp.route("/<int:subject_id>/status-history")
    class StatusHistory(MethodView):
        @blp.response(200, StatusAssignmentSchema(many=True))
        def get(self, subject_id):
            """Who assigned which status, when, from what and why, oldest first"""
            with unit_of_work() as session:
                return subjects.status_history(session, kind, subject_id)

    StatusHistory.__name__ = f"{kind.title()}StatusHistory"
