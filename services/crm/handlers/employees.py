"""Employees, their bearer tokens and authentication."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import ApiToken, Employee
from services.crm.domain.errors import Conflict, Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Permission, Role
from services.crm.handlers import phones
from services.crm.handlers.common import apply, get
from shared import webhooks
from shared.config import Settings
from shared.db import utcnow
from shared.i18n import DEFAULT_LOCALE
from shared.messages import EmployeeChanged
from shared.names import Channel

SELF_SERVICE = {"channels", "webhook_url", "timezone", "locale"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: every API request runs it, and a statement used again skips its construction
# and its cache key.
_BY_TOKEN = (
    select(Employee.id, Employee.role, Employee.department)
    .join(ApiToken, ApiToken.employee_id == Employee.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        Employee.active,
    )
)


def authenticate(session: Session, token: str) -> Actor | None:
    """The active employee a bearer token belongs to, or None."""
    row = session.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    return Actor(row.id, Role(row.role), row.department) if row else None


def list_employees(
    session: Session, *, role: str | None = None, department: str | None = None
) -> list[Employee]:
    stmt = select(Employee).order_by(Employee.id)
    if role:
        stmt = stmt.where(Employee.role == role)
    if department:
        stmt = stmt.where(Employee.department == department)
    return list(session.scalars(stmt))


def create_employee(
    session: Session, actor: Actor | None, fields: dict[str, Any], settings: Settings
) -> Employee:
    """Add an employee; ``actor`` None is the operator's CLI, which may create the first admin.

    ``settings`` give the hosts a webhook may point at and the region of phone numbers.
    """
    if actor is not None:
        actor.require(Permission.MANAGE_EMPLOYEES)
    _check_email_free(session, fields["email"])
    _check_webhook_url(fields.get("webhook_url"), settings)
    _check_extension_free(session, fields.get("extension"))
    employee = Employee(**fields)
    session.add(employee)
    session.flush()
    phones.index(session, "employee", employee.id, [employee.phone], settings.phone_region)
    changed(session, employee)
    return employee


def update_employee(
    session: Session, actor: Actor, employee_id: int, changes: dict[str, Any], settings: Settings
) -> Employee:
    """Admins edit anyone; an employee edits their own preferences (channels, zone, language)."""
    if not (actor.id == employee_id and set(changes) <= SELF_SERVICE):
        actor.require(Permission.MANAGE_EMPLOYEES)
    employee = get(session, Employee, employee_id, "employee", lock=True)
    if changes.get("email", employee.email) != employee.email:
        _check_email_free(session, changes["email"])
    _check_webhook_url(changes.get("webhook_url"), settings)
    if changes.get("extension", employee.extension) != employee.extension:
        _check_extension_free(session, changes["extension"])
    apply(employee, changes)
    session.flush()
    if "phone" in changes:
        phones.index(session, "employee", employee.id, [employee.phone], settings.phone_region)
    changed(session, employee)
    return employee


def issue_webhook_secret(
    session: Session, actor: Actor, employee_id: int, settings: Settings
) -> tuple[str, int]:
    """A new signing secret for the employee's webhook and its version; the old one stops.

    It is derived from the version (shared/webhooks.py) and never stored, so it is shown once.
    """
    if actor.id != employee_id:
        actor.require(Permission.MANAGE_EMPLOYEES)
    employee = get(session, Employee, employee_id, "employee", lock=True)
    employee.webhook_secret_version = (employee.webhook_secret_version or 0) + 1
    session.flush()
    changed(session, employee)
    master = webhooks.master_secret(settings)
    version = employee.webhook_secret_version
    return webhooks.recipient_secret(master, employee.id, version), version


def issue_token(
    session: Session, actor: Actor | None, employee_id: int, label: str | None = None
) -> str:
    """A new bearer token for the employee; only its hash is stored, so it is shown once."""
    if actor is not None and actor.id != employee_id:
        actor.require(Permission.MANAGE_EMPLOYEES)
    get(session, Employee, employee_id, "employee")
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(employee_id=employee_id, token_hash=hash_token(token), label=label))
    session.flush()
    return token


def list_tokens(session: Session, actor: Actor, employee_id: int) -> list[ApiToken]:
    if actor.id != employee_id:
        actor.require(Permission.MANAGE_EMPLOYEES)
    get(session, Employee, employee_id, "employee")
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.employee_id == employee_id).order_by(ApiToken.id)
        )
    )


def revoke_token(session: Session, actor: Actor, employee_id: int, token_id: int) -> ApiToken:
    if actor.id != employee_id and not actor.can(Permission.MANAGE_EMPLOYEES):
        raise Forbidden("only admins may revoke another employee's tokens")
    token = get(session, ApiToken, token_id, "token", lock=True)
    if token.employee_id != employee_id:
        raise NotFound("token", token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token


def locale_of(session: Session, employee_id: int | None) -> str:
    """The language texts for this employee are written in (English for nobody)."""
    employee = session.get(Employee, employee_id) if employee_id else None
    return employee.locale if employee is not None and employee.locale else DEFAULT_LOCALE


def changed(session: Session, employee: Employee) -> None:
    """Tell the notifier's directory who the employee is now and how to reach them."""
    outbox.record(
        session,
        "employee",
        employee.id,
        EmployeeChanged(
            employee_id=employee.id,
            name=employee.name,
            email=employee.email,
            role=employee.role,
            department=employee.department,
            timezone=employee.timezone or "UTC",
            active=employee.active if employee.active is not None else True,
            channels=list(employee.channels or [Channel.IN_APP]),
            webhook_url=employee.webhook_url,
            webhook_secret_version=employee.webhook_secret_version or 0,
            locale=employee.locale or DEFAULT_LOCALE,
        ),
    )


def _check_webhook_url(url: str | None, settings: Settings) -> None:
    """Refuse a webhook that points inside the network (shared/webhooks.py), naming the field."""
    if url:
        try:
            webhooks.check(url, webhooks.allowed_hosts(settings), must_resolve=False)
        except webhooks.ForbiddenTarget as exc:
            raise Invalid("webhook_url", exc.reason) from None


def _check_extension_free(session: Session, extension: str | None) -> None:
    taken = extension and session.scalar(select(Employee.id).where(Employee.extension == extension))
    if taken:
        raise Conflict(f"extension {extension!r} is already taken")


def _check_email_free(session: Session, email: str) -> None:
    if session.scalar(select(Employee.id).where(Employee.email == email)) is not None:
        raise Conflict(f"email {email!r} is already taken")
