"""Small helpers every CRM use case leans on."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.domain.errors import Invalid, NotFound
from shared.db import INT_MAX as INT_MAX  # the bound on ids, which the handlers import here

T = TypeVar("T")


def _find(session: Session, model: type[T], id_: int, *, lock: bool = False) -> T | None:
    if not 0 < id_ <= INT_MAX:
        return None
    return session.get(model, id_, with_for_update=lock)


def get(session: Session, model: type[T], id_: int, what: str, *, lock: bool = False) -> T:
    """Load a row by id or raise NotFound; ``lock`` takes a row lock for the transaction."""
    obj = _find(session, model, id_, lock=lock)
    if obj is None:
        raise NotFound(what, id_)
    return obj


def referenced(
    session: Session, model: type[T], id_: int | None, field: str, what: str
) -> T | None:
    """Load a row a request refers to by id; an unknown id is the request's fault (422)."""
    if id_ is None:
        return None
    obj = _find(session, model, id_)
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


def paginate(
    session: Session, stmt: Select, page: int, page_size: int, *, rows: bool = False
) -> tuple[list[Any], int]:
    """One page of ``stmt``'s results and the total count; ``rows`` keeps every column."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    offset = (page - 1) * page_size
    if offset >= total:
        # Past the end: nothing to read, and a huge page number never reaches SQL's OFFSET.
        return [], total
    page_stmt = stmt.limit(page_size).offset(offset)
    results = session.execute(page_stmt).all() if rows else session.scalars(page_stmt)
    return list(results), total


def apply(obj: object, changes: dict[str, Any]) -> dict[str, Any]:
    """Set attributes and return the values they had before."""
    before = {name: getattr(obj, name) for name in changes}
    for name, value in changes.items():
        setattr(obj, name, value)
    return before
