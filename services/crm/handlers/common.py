"""Small helpers every CRM use case leans on."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.domain.errors import Invalid, NotFound

T = TypeVar("T")


def get(session: Session, model: type[T], id_: int, what: str, *, lock: bool = False) -> T:
    """Load a row by id or raise NotFound; ``lock`` takes a row lock for the transaction."""
    obj = session.get(model, id_, with_for_update=lock)
    if obj is None:
        raise NotFound(what, id_)
    return obj


def referenced(
    session: Session, model: type[T], id_: int | None, field: str, what: str
) -> T | None:
    """Load a row a request refers to by id; an unknown id is the request's fault (422)."""
    if id_ is None:
        return None
    obj = session.get(model, id_)
    if obj is None:
        raise Invalid(field, f"no {what} with id {id_}")
    return obj


def responsible(
    session: Session, employee_id: int | None, field: str = "responsible_id"
) -> Employee | None:
    employee = referenced(session, Employee, employee_id, field, "employee")
    if employee is not None and not employee.active:
        raise Invalid(field, f"employee {employee_id} is inactive")
    return employee


def paginate(session: Session, stmt: Select, page: int, page_size: int) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows and the total count."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), total or 0


def apply(obj: object, changes: dict[str, Any]) -> dict[str, Any]:
    """Set attributes and return the values they had before."""
    before = {name: getattr(obj, name) for name in changes}
    for name, value in changes.items():
        setattr(obj, name, value)
    return before
