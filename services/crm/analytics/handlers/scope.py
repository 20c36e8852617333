"""The filters every report shares, checked and resolved against the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.analytics.domain import kinds
from services.crm.analytics.domain.periods import Period, period
from services.crm.analytics.domain.scope import Scope, resolve
from services.crm.domain.errors import Invalid
from services.crm.domain.roles import Actor
from services.crm.handlers.common import referenced
from shared.db import utcnow


@dataclass(frozen=True)
class Filters:
    """A report's period, process kind and whose figures, with the managers that means."""

    period: Period
    process_kind: str | None
    scope: Scope
    # Employees whose figures count; None: everyone's (an admin without a filter).
    manager_ids: list[int] | None

    def echo(self) -> dict[str, Any]:
        """The filters as applied, for the report's header."""
        return {
            "from": self.period.start,
            "to": self.period.end,
            "process_kind": self.process_kind,
            "department": self.scope.department,
            "manager_id": self.scope.manager_id,
        }


def filters(
    session: Session,
    actor: Actor,
    *,
    start: date | None = None,
    end: date | None = None,
    process_kind: str | None = None,
    department: str | None = None,
    manager_id: int | None = None,
) -> Filters:
    """Check the common filters: the period (422), the kind (422) and the reader's rights (403)."""
    if process_kind is not None and process_kind not in kinds.kinds():
        raise Invalid("process_kind", f"must be one of: {', '.join(kinds.kinds())}")
    manager = referenced(session, Employee, manager_id, "manager_id", "employee")
    scope = resolve(
        actor,
        department=department,
        manager_id=manager_id,
        manager_department=manager.department if manager else None,
    )
    return Filters(
        period(start, end, utcnow().date()), process_kind, scope, _manager_ids(session, scope)
    )


def _manager_ids(session: Session, scope: Scope) -> list[int] | None:
    if scope.manager_id is not None:
        return [scope.manager_id]
    if scope.department is not None:
        stmt = select(Employee.id).where(Employee.department == scope.department)
        return list(session.scalars(stmt.order_by(Employee.id)))
    return None
