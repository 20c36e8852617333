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
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.schemas import (
    AssignmentResultSchema,
    AssignStatusSchema,
    EventQuerySchema,
    EventSchema,
    StatusAssignmentSchema,
)
from services.crm.handlers import calls, cards, subjects
from shared.config import Settings


@dataclass(frozen=True)
class SubjectApi:
    """What differs between the lead and the counterparty endpoints."""

    kind: str  # "lead" or "counterparty", as in handlers.subjects
    schema: type[ma.Schema]
    new_schema: type[ma.Schema]
    update_schema: type[ma.Schema]
    query_schema: type[ma.Schema]
    create: Callable[[Session, Actor, dict[str, Any], Settings], Any]
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
                return api.create(session, actor(), data, settings())

    @blp.route("/<int:subject_id>")
    class Item(MethodView):
        @blp.doc(summary=f"Show a {kind} with its next planned call")
        @blp.response(200, api.schema)
        def get(self, subject_id):
            with unit_of_work() as session:
                return cards.shown(session, kind, subjects.load(session, kind, subject_id))

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
                result = subjects.assign_status(
                    session,
                    actor(),
                    kind,
                    subject_id,
                    data["status_id"],
                    data.get("reason"),
                    settings=settings(),
                )
                return {
                    "changed": result.changed,
                    "subject_id": result.subject.id,
                    "status_id": result.subject.status_id,
                    "status_assigned_at": result.subject.status_assigned_at,
                    "next_call_at": result.next_call_at
                    or _planned(session, kind, result.subject.id),
                }

    @blp.route("/<int:subject_id>/events")
    class Events(MethodView):
        @blp.doc(summary=f"The {kind} card's Events tab: its calls, e-mails and meetings")
        @blp.arguments(EventQuerySchema, location="query")
        @blp.response(200, EventSchema(many=True))
        @blp.paginate()
        def get(self, filters, subject_id, pagination_parameters):
            with unit_of_work() as session:
                items, pagination_parameters.item_count = cards.events(
                    session,
                    actor(),
                    kind,
                    subject_id,
                    page=pagination_parameters.page,
                    page_size=pagination_parameters.page_size,
                    interaction_kind=filters.get("kind"),
                )
                return items

    @blp.route("/<int:subject_id>/status-history")
    class StatusHistory(MethodView):
        @blp.response(200, StatusAssignmentSchema(many=True))
        def get(self, subject_id):
            """Who assigned which status, when, from what and why, oldest first"""
            with unit_of_work() as session:
                return subjects.status_history(session, kind, subject_id)


def _planned(session: Session, kind: str, subject_id: int):
    """An unchanged status keeps the call already planned."""
    plan = calls.live_plan(session, kind, subject_id)
    return plan.next_call_at if plan else None
