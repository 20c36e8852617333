"""The employee directory: kept from the CRM's ``EmployeeChanged`` events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters import directory
from shared.messages import EmployeeChanged


def employee_changed(session: Session, env: dict[str, Any], message: EmployeeChanged) -> None:
    """EmployeeChanged: store who the employee is now, unless a newer change is already here."""
    directory.save(session, message, env["occurred_at"])
