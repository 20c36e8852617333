"""Test data made through the CRM's own use cases."""

from __future__ import annotations

import itertools

from services.crm.handlers.employees import create_employee, issue_token
from shared.db import transaction

_seq = itertools.count(1)


def employee(sessions, role: str = "manager", **fields) -> tuple[int, str]:
    """A new employee of ``role`` and a bearer token for it."""
    n = next(_seq)
    data = {
        "name": f"{role.title()} {n}",
        "email": f"{role}{n}@example.com",
        "role": role,
        **fields,
    }
    with transaction(sessions) as session:
        emp = create_employee(session, None, data)
        return emp.id, issue_token(session, None, emp.id)
