"""Whose figures a report may show, by the ownership rule (services/crm/domain/access.py).

Admins see everyone's figures, a head of sales their department's, a manager their own.
Without a department or manager filter a report shows the widest scope the reader has;
asking for more is refused (403), not narrowed silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.crm.domain.access import Owner, may_read_figures
from services.crm.domain.errors import Forbidden, Invalid
from services.crm.domain.roles import Actor, Role


@dataclass(frozen=True)
class Scope:
    """Everyone (both None), a department's managers, or one manager."""

    department: str | None = None
    manager_id: int | None = None

    @property
    def everyone(self) -> bool:
        return self.department is None and self.manager_id is None


def resolve(
    actor: Actor,
    *,
    department: str | None,
    manager_id: int | None,
    manager_department: str | None = None,
) -> Scope:
    """The scope asked for, checked; ``manager_department`` is the named manager's."""
    if manager_id is not None:
        if department is not None and department != manager_department:
            raise Invalid("manager_id", f"the manager is not in the department {department!r}")
        if not may_read_figures(actor, Owner(manager_id, manager_department)):
            raise Forbidden("these are another manager's figures: theirs, their head's, admins'")
        return Scope(manager_department, manager_id)
    if department is not None:
        if not may_read_figures(actor, Owner(None, department)):
            raise Forbidden("a department's figures are for its head of sales and admins")
        return Scope(department)
    if actor.role == Role.ADMIN:
        return Scope()
    if actor.role == Role.HEAD_OF_SALES and actor.department is not None:
        return Scope(actor.department)
    if actor.role in (Role.MANAGER, Role.HEAD_OF_SALES):
        return Scope(actor.department, actor.id)
    raise Forbidden("sales figures are for the sales department and admins")
