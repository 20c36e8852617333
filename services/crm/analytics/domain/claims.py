"""Claims work: a customer's claim is open until resolved; its responsible is reminded before
the deadline, and the head of their department is told once it has passed unresolved."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.crm.domain.errors import Conflict, Invalid
from services.crm.domain.roles import Role
from shared.i18n import _

OPEN, RESOLVED = "open", "resolved"
STATES = (OPEN, RESOLVED)
OUTCOMES = ("accepted", "partly_accepted", "rejected")
# Who takes a claim in: the front office (secretaries answer the phone) and sales.
RECEIVERS = frozenset({Role.ADMIN, Role.SECRETARY, Role.MANAGER, Role.HEAD_OF_SALES})

REMINDER = _('Claim No. {number} from {customer}: "{title}" must be resolved by {deadline}.')


def check_deadline(received_at: datetime, deadline: datetime) -> None:
    if deadline <= received_at:
        raise Invalid("deadline", "must be after the claim was received")


def check_open(state: str) -> None:
    if state != OPEN:
        raise Conflict("the claim is resolved and can no longer change")


def remind_at(deadline: datetime, before: timedelta, now: datetime) -> datetime:
    """The reminder comes ``before`` the deadline, or at once when that moment has passed."""
    return max(deadline - before, now)


def is_overdue(state: str, deadline: datetime, now: datetime) -> bool:
    return state == OPEN and deadline < now


def timer_key(claim_id: int) -> str:
    return f"claim:{claim_id}:deadline"
