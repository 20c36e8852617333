"""Employees, their roles and their bearer tokens."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.adapters.orm import Employee
from services.crm.entrypoints.api.context import actor, settings, unit_of_work
from services.crm.entrypoints.api.schemas import (
    EmployeeQuerySchema,
    EmployeeSchema,
    IssuedTokenSchema,
    IssuedWebhookSecretSchema,
    TokenRequestSchema,
    TokenSchema,
)
from services.crm.handlers import employees
from services.crm.handlers.common import get as get_or_404

blp = Blueprint(
    "employees", __name__, url_prefix="/api/employees", description="Employees and tokens"
)


@blp.route("")
class Employees(MethodView):
    @blp.arguments(EmployeeQuerySchema, location="query")
    @blp.response(200, EmployeeSchema(many=True))
    def get(self, filters):
        """List employees, by role or department"""
        with unit_of_work() as session:
            return employees.list_employees(session, **filters)

    @blp.arguments(EmployeeSchema)
    @blp.response(201, EmployeeSchema)
    def post(self, data):
        """Add an employee (admins only)"""
        with unit_of_work() as session:
            return employees.create_employee(session, actor(), data, settings())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, EmployeeSchema)
    def get(self):
        """The employee the token belongs to"""
        with unit_of_work() as session:
            return get_or_404(session, Employee, actor().id, "employee")


@blp.route("/<int:employee_id>")
class EmployeeById(MethodView):
    @blp.response(200, EmployeeSchema)
    def get(self, employee_id):
        """Show an employee"""
        with unit_of_work() as session:
            return get_or_404(session, Employee, employee_id, "employee")

    @blp.arguments(EmployeeSchema(partial=True))
    @blp.response(200, EmployeeSchema)
    def patch(self, data, employee_id):
        """Edit an employee: role, department, time zone, deactivation (admins only)"""
        with unit_of_work() as session:
            return employees.update_employee(session, actor(), employee_id, data, settings())


@blp.route("/<int:employee_id>/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenSchema(many=True))
    def get(self, employee_id):
        """List the employee's tokens (never their values)"""
        with unit_of_work() as session:
            return employees.list_tokens(session, actor(), employee_id)

    @blp.arguments(TokenRequestSchema, required=False)
    @blp.response(201, IssuedTokenSchema)
    def post(self, data, employee_id):
        """Issue a token; its value is shown in this response only"""
        with unit_of_work() as session:
            return {
                "token": employees.issue_token(session, actor(), employee_id, data.get("label"))
            }


@blp.route("/<int:employee_id>/webhook-secret")
class WebhookSecret(MethodView):
    @blp.response(201, IssuedWebhookSecretSchema)
    def post(self, employee_id):
        """Issue a new webhook signing secret; shown in this response only, the old one stops"""
        with unit_of_work() as session:
            secret, version = employees.issue_webhook_secret(
                session, actor(), employee_id, settings()
            )
        return {"webhook_secret": secret, "webhook_secret_version": version}


@blp.route("/<int:employee_id>/tokens/<int:token_id>")
class TokenById(MethodView):
    @blp.response(200, TokenSchema)
    def delete(self, employee_id, token_id):
        """Revoke a token"""
        with unit_of_work() as session:
            return employees.revoke_token(session, actor(), employee_id, token_id)
