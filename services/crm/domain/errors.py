"""Errors the CRM's rules raise; the API maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every refusal by a business rule."""


class NotFound(DomainError):
    def __init__(self, what: str, id_: object):
        super().__init__(f"{what} {id_} not found")


class Conflict(DomainError):
    """The request contradicts the current state (a duplicate name, a converted lead)."""


class Forbidden(DomainError):
    """The employee's role does not allow this."""


class Invalid(DomainError):
    """A value is wrong for a reason only the database knows (an unknown manager id)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
