"""Rules of interaction statuses and of assigning them to leads and counterparties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.crm.domain.errors import Conflict, Invalid

CALL_RULE_FIELDS = ("generate_calls", "call_interval_days", "active")


@dataclass(frozen=True)
class StatusRule:
    """What a status means for one subject kind."""

    id: int
    name: str
    applies_to: str
    active: bool


def check_assignable(status: StatusRule, subject_kind: str) -> None:
    """Refuse a status that is inactive or meant for the other kind of subject."""
    if not status.active:
        raise Invalid("status_id", f"status {status.name!r} is inactive")
    if status.applies_to not in ("both", subject_kind):
        raise Invalid("status_id", f"status {status.name!r} applies to {status.applies_to} only")


def check_carried_over(status: StatusRule) -> None:
    """A converting lead hands its status to a counterparty, which must be allowed to hold it."""
    if status.applies_to not in ("both", "counterparty"):
        raise Conflict(
            f"status {status.name!r} applies to leads only: assign one a counterparty may hold "
            "before converting"
        )


def is_reassignment(current_status_id: int | None, new_status_id: int) -> bool:
    """Assigning the status a subject already holds changes nothing."""
    return current_status_id == new_status_id


def call_rule_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether an edit changes how calls are planned, which bumps the status version."""
    return any(before[f] != after[f] for f in CALL_RULE_FIELDS)


def check_not_converted(converted: bool, lead_id: int) -> None:
    """A converted lead is kept as history; its life goes on as the counterparty."""
    if converted:
        raise Conflict(f"lead {lead_id} is already converted")
