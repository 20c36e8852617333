"""The employee directory: kept from the CRM's ``EmployeeChanged`` events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.notifier.adapters import directory


def employee_changed(session: Session, env: dict[str, Any], data: dict[str, Any]) -> None:
    """EmployeeChanged: store who the employee is now, unless a newer change is already here."""
    directory.save(session, data, env["occurred_at"])
