"""Who may do what: the permission each role holds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.crm.domain.errors import Forbidden
from shared.names import Role as Role  # re-exported: callers take it with Actor


class Permission(StrEnum):
    MANAGE_EMPLOYEES = "manage employees"
    EDIT_REFERENCE_BOOKS = "edit reference books"
    REGISTER_LEADS = "register leads"
    EDIT_CUSTOMERS = "edit customers"
    ASSIGN_STATUSES = "assign statuses"
    VIEW_CUSTOMERS = "view customers"


_SALES = {Role.ADMIN, Role.MANAGER, Role.HEAD_OF_SALES}
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.MANAGE_EMPLOYEES: frozenset({Role.ADMIN}),
    Permission.EDIT_REFERENCE_BOOKS: frozenset({Role.ADMIN}),
    Permission.REGISTER_LEADS: frozenset(_SALES | {Role.SECRETARY}),
    Permission.EDIT_CUSTOMERS: frozenset(_SALES),
    Permission.ASSIGN_STATUSES: frozenset(_SALES),
    Permission.VIEW_CUSTOMERS: frozenset(Role),
}


@dataclass(frozen=True)
class Actor:
    """The authenticated employee on whose behalf a use case runs."""

    id: int
    role: Role
    department: str | None = None

    def can(self, permission: Permission) -> bool:
        return self.role in GRANTS[permission]

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless the actor's role holds ``permission``."""
        if not self.can(permission):
            raise Forbidden(f"role {self.role} may not {permission}")
