"""The working calendar: the company's and departments' weeks and hours, and holidays."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.fields import Day, Instant
from services.crm.entrypoints.api.schemas import Schema
from services.crm.handlers import calendar
from shared.contracts import WEEKDAY_NAMES

blp = Blueprint(
    "working_calendar",
    __name__,
    url_prefix="/api",
    description="The working calendar calls land in: weeks, hours and holidays (admins edit)",
)

Department = lambda **kw: fields.String(validate=validate.Length(min=1, max=200), **kw)  # noqa: E731


class WeekSchema(Schema):
    workdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAY_NAMES)),
        required=True,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "Working weekdays: mon, tue, ..., sun."},
    )
    work_start = fields.Time(required=True, metadata={"description": "HH:MM, local time."})
    work_end = fields.Time(required=True)
    call_time = fields.Time(
        load_default=None,
        allow_none=True,
        metadata={"description": "When planned calls land; the start of hours when empty."},
    )


class WeekViewSchema(Schema):
    department = fields.String(allow_none=True)
    workdays = fields.List(fields.String())
    work_start = fields.String()
    work_end = fields.String()
    call_time = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "saved, or configuration (the default)"})


class HolidaySchema(Schema):
    id = fields.Integer(dump_only=True)
    day = Day(required=True)
    department = Department(
        load_default=None,
        allow_none=True,
        metadata={"description": "Only this department's day off; the company's when empty."},
    )
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    created_at = Instant(dump_only=True)


class HolidayQuerySchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    department = Department(
        metadata={"description": "The company's holidays and this department's."}
    )


@blp.route("/working-calendar")
class CompanyWeek(MethodView):
    @blp.response(200, WeekViewSchema)
    def get(self):
        """The company's working week and hours"""
        with unit_of_work() as session:
            return calendar.show_week(session, settings())

    @blp.arguments(WeekSchema)
    @blp.response(200, WeekViewSchema)
    def put(self, data):
        """Set the company's working week and hours; waiting calls are re-planned"""
        with unit_of_work() as session:
            return calendar.save_week(session, actor(), None, data)


@blp.route("/working-calendar/departments")
class DepartmentWeeks(MethodView):
    @blp.response(200, WeekViewSchema(many=True))
    def get(self):
        """Departments with a week and hours of their own"""
        with unit_of_work() as session:
            return calendar.list_department_weeks(session)


@blp.route("/working-calendar/departments/<text(200):department>")
class DepartmentWeek(MethodView):
    @blp.response(200, WeekViewSchema)
    def get(self, department):
        """A department's own week and hours"""
        with unit_of_work() as session:
            return calendar.show_week(session, settings(), department)

    @blp.arguments(WeekSchema)
    @blp.response(200, WeekViewSchema)
    def put(self, data, department):
        """Give a department its own week and hours; its managers' calls are re-planned"""
        with unit_of_work() as session:
            return calendar.save_week(session, actor(), department, data)

    @blp.response(204)
    def delete(self, department):
        """The department goes back to the company's week and hours"""
        with unit_of_work() as session:
            calendar.delete_week(session, actor(), department)


@blp.route("/holidays")
class Holidays(MethodView):
    @blp.arguments(HolidayQuerySchema, location="query")
    @blp.response(200, HolidaySchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Holidays in date order"""
        with unit_of_work() as session:
            items, pagination_parameters.item_count = calendar.list_holidays(
                session,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return items

    @blp.arguments(HolidaySchema)
    @blp.response(201, HolidaySchema)
    def post(self, data):
        """Add a holiday; calls planned on it move to the next working day"""
        with unit_of_work() as session:
            return calendar.add_holiday(session, actor(), data)


@blp.route("/holidays/<int:holiday_id>")
class HolidayById(MethodView):
    @blp.response(200, HolidaySchema)
    def get(self, holiday_id):
        """Show a holiday"""
        with unit_of_work() as session:
            return calendar.get_holiday(session, holiday_id)

    @blp.response(204)
    def delete(self, holiday_id):
        """Remove a holiday; calls pushed past it are planned on it again"""
        with unit_of_work() as session:
            calendar.remove_holiday(session, actor(), holiday_id)
