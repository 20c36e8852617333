"""The in-app inbox and reminders of the employee behind the token."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.fields import Instant
from services.crm.entrypoints.api.schemas import Id, Schema
from services.crm.handlers import inbox, reminders

blp = Blueprint("inbox", __name__, url_prefix="/api", description="In-app inbox and reminders")


class NotificationSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    task_id = fields.Integer(allow_none=True)
    reminder_id = fields.Integer(allow_none=True)
    read_at = Instant(allow_none=True)
    created_at = Instant()


class InboxQuerySchema(Schema):
    unread = fields.Boolean()


class ReminderSchema(Schema):
    id = fields.Integer(dump_only=True)
    recipient_id = Id(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    basis_kind = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32))
    basis_id = Id(allow_none=True, load_default=None)
    remind_at = Instant(required=True)
    state = fields.String(
        dump_only=True,
        metadata={"description": "scheduled, delivered (handed to its channels) or cancelled"},
    )
    delivered_at = Instant(dump_only=True, allow_none=True)
    author_id = fields.Integer(dump_only=True)


class ReminderQuerySchema(Schema):
    upcoming = fields.Boolean()


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """My notifications, newest first"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = inbox.list_inbox(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                unread=filters.get("unread"),
            )
            return items


@blp.route("/inbox/<int:notification_id>/read")
class MarkRead(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark a notification read"""
        with unit_of_work() as session:
            return inbox.mark_read(session, actor(), notification_id)


@blp.route("/reminders")
class Reminders(MethodView):
    @blp.arguments(ReminderQuerySchema, location="query")
    @blp.response(200, ReminderSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """My reminders, by time"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = reminders.list_mine(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(ReminderSchema)
    @blp.response(201, ReminderSchema)
    def post(self, data):
        """Set a reminder, optionally based on a document; delivered through the recipient's channels"""
        with unit_of_work() as session:
            return reminders.create(session, actor(), data)


@blp.route("/reminders/<int:reminder_id>")
class ReminderById(MethodView):
    @blp.response(200, ReminderSchema)
    def delete(self, reminder_id):
        """Cancel a reminder"""
        with unit_of_work() as session:
            return reminders.cancel(session, actor(), reminder_id)
