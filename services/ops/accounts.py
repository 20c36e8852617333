"""Employees' access from the console: the first admin, and token rotation."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.crm.adapters.orm import ApiToken, Employee
from services.crm.domain.errors import NotFound
from services.crm.handlers.employees import create_employee, issue_token
from shared.config import Settings
from shared.db import utcnow
from shared.names import Role


def create_admin(session: Session, name: str, email: str, timezone: str, settings: Settings) -> str:
    """A new admin employee; returns its bearer token (shown once, stored hashed)."""
    admin = create_employee(
        session,
        None,
        {"name": name, "email": email, "role": Role.ADMIN, "timezone": timezone},
        settings,
    )
    return issue_token(session, None, admin.id, "created by crm-ops")


def find_employee(session: Session, who: str) -> Employee:
    """An employee by id or e-mail."""
    if who.isdigit():
        employee = session.get(Employee, int(who))
    else:
        employee = session.scalars(select(Employee).where(Employee.email == who)).first()
    if employee is None:
        raise NotFound("employee", who)
    return employee


def active_employees(session: Session) -> list[Employee]:
    return list(session.scalars(select(Employee).where(Employee.active).order_by(Employee.id)))


def rotate_tokens(session: Session, employee: Employee) -> tuple[int, str]:
    """Revoke every live token of the employee and issue one new one.

    Returns:
      tuple: how many tokens were revoked, and the new token.
    """
    revoked = session.scalars(
        update(ApiToken)
        .where(ApiToken.employee_id == employee.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(ApiToken.id)
    ).all()
    return len(revoked), issue_token(session, None, employee.id, "rotated by crm-ops")
