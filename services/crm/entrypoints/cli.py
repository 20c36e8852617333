"""Operator commands of the CRM: ``flask --app services.crm.entrypoints.api.app:wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from services.crm.adapters.orm import Employee
from services.crm.handlers.accounts import invite
from services.crm.handlers.employees import create_employee, issue_token
from shared.db import transaction
from shared.names import Role


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--name", default="Administrator", show_default=True)
    @click.option("--email", required=True)
    @click.option("--timezone", default="UTC", show_default=True)
    def create_admin(name: str, email: str, timezone: str) -> None:
        """Create an admin employee and print a bearer token for it."""
        with transaction(current_app.extensions["crm.sessions"]) as session:
            admin = create_employee(
                session,
                None,
                {"name": name, "email": email, "role": Role.ADMIN, "timezone": timezone},
                current_app.config["SETTINGS"],
            )
            token = issue_token(session, None, admin.id, "created by create-admin")
        click.echo(token)

    @app.cli.command("invite")
    @click.option("--email", required=True)
    def invite_employee(email: str) -> None:
        """Print a one-time link path (/invitation/...) for the employee to set a web password."""
        settings = current_app.config["SETTINGS"]
        with transaction(current_app.extensions["crm.sessions"]) as session:
            employee = session.scalar(select(Employee).where(Employee.email == email))
            if employee is None:
                raise click.ClickException(f"no employee with e-mail {email}")
            token = invite(session, None, employee.id, settings.web_invitation_hours)
        click.echo(f"/invitation/{token}")

    @app.cli.command("analytics-rebuild")
    def analytics_rebuild() -> None:
        """Recompute the reports' aggregates from the history (after an upgrade or bulk load)."""
        from services.crm.analytics.adapters.rebuild import rebuild

        with transaction(current_app.extensions["crm.sessions"]) as session:
            for table, rows in rebuild(session).items():
                click.echo(f"{table}: {rows} rows")

    @app.cli.command("load-demo")
    def load_demo() -> None:
        """Load demo employees, partners, leads and counterparties; print the admin token."""
        from services.crm.demo import load

        with transaction(current_app.extensions["crm.sessions"]) as session:
            token = load(session, current_app.config["SETTINGS"])
        click.echo(token)
