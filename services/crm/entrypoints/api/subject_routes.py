"""Routes leads and counterparties share: list, register, show, edit, status and its history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from services.crm.domain.roles import Actor
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import (
    AssignmentResultSchema,
    AssignStatusSchema,
    StatusAssignmentSchema,
)
from services.crm.handlers import subjects


@dataclass(frozen=True)
class SubjectApi:
    """What differs between the lead and the counterparty endpoints."""

    kind: str  # "lead" or "counterparty", as in handlers.subjects
    schema: type[ma.Schema]
    new_schema: type[ma.Schema]
    update_schema: type[ma.Schema]
    query_schema: type[ma.Schema]
    create: Callable[[Session, Actor, dict[str, Any]], Any]
    update: Callable[[Session, Actor, int, dict[str, Any]], Any]
    filters: str  # the list's filters, for the OpenAPI summary


def add_subject_routes(blp: Blueprint, api: SubjectApi) -> None:
    """Register the collection, item, ``/<id>/status`` and ``/<id>/status-history`` on ``blp``."""
    kind, plural = api.kind, blp.name

    @blp.route("")
    class Collection(MethodView):
        @blp.doc(summary=f"List {plural}, filtered by {api.filters}")
        @blp.arguments(api.query_schema, location="query")
        @blp.response(200, api.schema(many=True))
        @blp.paginate()
        def get(self, filters, pagination_parameters):
            with unit_of_work() as session:
                items, pagination_parameters.item_count = subjects.list_subjects(
                    session,
                    kind,
                    page=pagination_parameters.page,
                    page_size=pagination_parameters.page_size,
                    **filters,
                )
                return items

        @blp.doc(summary=f"Register a {kind}, optionally with its first status")
        @blp.arguments(api.new_schema)
        @blp.response(201, api.schema)
        def post(self, data):
            with unit_of_work() as session:
                return api.create(session, actor(), data)

    @blp.route("/<int:subject_id>")
    class Item(MethodView):
        @blp.doc(summary=f"Show a {kind}")
        @blp.response(200, api.schema)
        def get(self, subject_id):
            with unit_of_work() as session:
                return subjects.load(session, kind, subject_id)

        @blp.doc(summary=f"Edit a {kind}: details, responsible manager, archiving")
        @blp.arguments(api.update_schema(partial=True))
        @blp.response(200, api.schema)
        def patch(self, data, subject_id):
            with unit_of_work() as session:
                return api.update(session, actor(), subject_id, data)

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

    @blp.route("/<int:subject_id>/status-history")
    class StatusHistory(MethodView):
        @blp.response(200, StatusAssignmentSchema(many=True))
        def get(self, subject_id):
            """Who assigned which status, when, from what and why, oldest first"""
            with unit_of_work() as session:
                return subjects.status_history(session, kind, subject_id)
