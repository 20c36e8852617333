"""Web sign-in: passwords (argon2id), invitation links to set them, and who a session is."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee, Invitation
from services.crm.domain import accounts as rules
from services.crm.domain.errors import NotFound
from services.crm.domain.roles import Actor, Permission, Role
from services.crm.handlers.common import get
from services.crm.handlers.employees import hash_token
from shared.db import utcnow

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes).
hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address costs as long as a wrong password.
_DUMMY = hasher.hash(secrets.token_urlsafe(16))


def actor_of(employee: Employee) -> Actor:
    return Actor(employee.id, Role(employee.role), employee.department)


def sign_in(session: Session, email: str, password: str) -> Employee | None:
    """The active employee with this e-mail and password, or None; rehashes an old hash."""
    employee = session.scalar(
        select(Employee).where(func.lower(Employee.email) == email.strip().lower())
    )
    stored = employee.password_hash if employee is not None and employee.active else None
    try:
        hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None or employee is None:  # no stored hash without an employee
        return None
    if hasher.check_needs_rehash(stored):
        employee.password_hash = hasher.hash(password)
    return employee


def signed_in(session: Session, employee_id: int) -> Employee | None:
    """The employee a web session belongs to, while they are still active."""
    employee = session.get(Employee, employee_id)
    return employee if employee is not None and employee.active else None


def invite(session: Session, actor: Actor | None, employee_id: int, valid_hours: int) -> str:
    """A one-time link token to set the employee's password; earlier unused ones stop working.

    ``actor`` None is the operator's CLI (the first admin's password).
    """
    if actor is not None:
        actor.require(Permission.MANAGE_EMPLOYEES)
    employee = get(session, Employee, employee_id, "employee")
    now = utcnow()
    for old in session.scalars(
        select(Invitation).where(
            Invitation.employee_id == employee.id, Invitation.used_at.is_(None)
        )
    ):
        old.expires_at = min(old.expires_at, now)
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            employee_id=employee.id,
            token_hash=hash_token(token),
            created_by_id=actor.id if actor else None,
            expires_at=now + timedelta(hours=valid_hours),
        )
    )
    session.flush()
    return token


def invitation(session: Session, token: str) -> tuple[Invitation, Employee]:
    """The usable invitation of a link and its employee; NotFound or Conflict otherwise."""
    found = session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    )
    if found is None:
        raise NotFound("invitation", "link")
    rules.check_invitation_usable(found.used_at, found.expires_at, utcnow())
    return found, session.get_one(Employee, found.employee_id)


def accept(session: Session, token: str, password: str) -> Employee:
    """Set the password through an invitation link, which is then used up."""
    found, employee = invitation(session, token)
    rules.check_password(password, employee.email)
    employee.password_hash = hasher.hash(password)
    found.used_at = utcnow()
    return employee
