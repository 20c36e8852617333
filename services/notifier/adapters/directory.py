"""Reading and writing the employee directory the CRM keeps the notifier told about."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notifier.adapters.orm import Employee
from services.notifier.domain.directory import Person
from shared.db import any_of, row_ids, table_of
from shared.messages import EmployeeChanged


def to_person(row: Any) -> Person:
    """A directory entry as the rules see it, from its mapped row or a plain row of its columns."""
    return Person(
        id=row.id,
        role=row.role,
        department=row.department,
        active=row.active,
        name=row.name,
        email=row.email,
        channels=tuple(row.channels),
        webhook_url=row.webhook_url,
        locale=row.locale,
        timezone=row.timezone,
    )


def save(session: Session, employee: EmployeeChanged, changed_at: datetime) -> None:
    """Upsert one employee; a description older than the stored one is ignored."""
    values = {
        "id": employee.employee_id,
        "name": employee.name,
        "email": employee.email,
        "role": employee.role,
        "department": employee.department,
        "timezone": employee.timezone,
        "active": employee.active,
        "channels": list(employee.channels),
        "webhook_url": employee.webhook_url,
        "webhook_secret_version": employee.webhook_secret_version,
        "locale": employee.locale,
        "changed_at": changed_at,
    }
    stmt = insert(Employee).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Employee.id],
            set_={k: stmt.excluded[k] for k in values if k != "id"},
            where=Employee.changed_at <= stmt.excluded.changed_at,
        )
    )


def find(session: Session, employee_id: int | None) -> Person | None:
    """The employee, active or not; None when the directory does not know them."""
    row = session.get(Employee, employee_id) if employee_id else None
    return to_person(row) if row else None


def people(session: Session, employee_ids: Iterable[int | None]) -> dict[int, Person]:
    """The employees of these ids the directory knows, active or not, in one query."""
    ids = row_ids(employee_ids)
    if not ids:
        return {}
    return {row.id: to_person(row) for row in session.execute(_PEOPLE, {"ids": ids})}


# Built once, with the ids given at execution: the calling loop reads it for every group of
# due calls, and the statement's construction would cost more than the query. Plain rows:
# a Person needs no mapped object.
_PEOPLE = select(
    *(
        table_of(Employee).c[name]
        for name in (
            "id",
            "role",
            "department",
            "active",
            "name",
            "email",
            "channels",
            "webhook_url",
            "locale",
            "timezone",
        )
    )
).where(any_of(Employee.id, "ids"))


def in_department(session: Session, department: str) -> list[Person]:
    """Everyone the directory has in ``department``, active or not."""
    rows = session.scalars(
        select(Employee).where(Employee.department == department).order_by(Employee.id)
    )
    return [to_person(r) for r in rows]


def active_with_role(session: Session, role: str, also: Iterable[int] = ()) -> list[Person]:
    """Active employees holding ``role``, plus the active ones among ``also``."""
    rows = session.scalars(
        select(Employee)
        .where(Employee.active.is_(True), or_(Employee.role == role, Employee.id.in_(list(also))))
        .order_by(Employee.id)
    )
    return [to_person(r) for r in rows]
