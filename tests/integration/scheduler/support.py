"""Test data and readers for the scheduler's integration tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.scheduler.adapters.orm import CallPlan
from tests.helpers import drain_queue

_assignments = itertools.count(1000)


def status_assigned(
    subject_id: int,
    *,
    status_id: int = 2,
    interval: int = 3,
    generate_calls: bool = True,
    status_version: int = 1,
    assigned_at: datetime,
    timezone: str = "Europe/Berlin",
    subject_kind: str = "lead",
    responsible_id: int | None = 11,
) -> dict[str, Any]:
    """The data of a StatusAssigned event as the CRM writes it."""
    return {
        "assignment_id": next(_assignments),
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "status_id": status_id,
        "status_name": f"Status {status_id}",
        "status_version": status_version,
        "previous_status_id": None,
        "generate_calls": generate_calls,
        "call_interval_days": interval,
        "responsible_id": responsible_id,
        "responsible_timezone": timezone,
        "assigned_by_id": None,
        "assigned_at": assigned_at.isoformat(),
        "reason": None,
    }


def plan_of(sessions, subject_id: int, kind: str = "lead") -> CallPlan | None:
    with sessions() as session:
        return session.scalars(
            select(CallPlan).where(CallPlan.subject_kind == kind, CallPlan.subject_id == subject_id)
        ).first()


def received(amqp, queue: str, type_: str | None = None) -> list[dict[str, Any]]:
    """Envelopes waiting in an events queue (plain JSON), optionally of one type."""
    bodies = [body for _, _, body in drain_queue(amqp, queue)]
    return [b for b in bodies if type_ is None or b["type"] == type_]


def dramatiq_envelopes(amqp, queue: str) -> list[dict[str, Any]]:
    """Envelopes waiting in a service's dramatiq queue (the actor's single argument)."""
    return [body["args"][0] for _, _, body in drain_queue(amqp, queue)]


def utc(*args) -> datetime:
    return datetime(*args).replace(tzinfo=UTC)
