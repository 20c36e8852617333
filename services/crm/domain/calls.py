"""Who sees and moves planned calls, and when a planned call is overdue.

The calls panel is sales work. A manager works their own list: asking without a
manager filter means "my calls", and asking for a colleague's list is refused
(403) rather than silently answered with the manager's own calls, so a wrong
link is noticed. Heads of sales and admins see and move everyone's calls, with
or without the filter. Other roles (secretaries, executors) have no calls panel.
"""

from __future__ import annotations

from datetime import datetime

from services.crm.domain.errors import Forbidden
from services.crm.domain.roles import Actor, Role

OVERSEERS = frozenset({Role.ADMIN, Role.HEAD_OF_SALES})
ACTIVE_STATES = ("planned", "due")


def plans_scope(actor: Actor, responsible_id: int | None) -> int | None:
    """The responsible manager whose plans ``actor`` gets; None means everyone's."""
    if actor.role in OVERSEERS:
        return responsible_id
    if actor.role is Role.MANAGER:
        if responsible_id in (None, actor.id):
            return actor.id
        raise Forbidden("a manager sees only the calls of their own subjects")
    raise Forbidden(f"role {actor.role} has no calls panel")


def check_may_reschedule(actor: Actor, responsible_id: int | None) -> None:
    """A manager moves calls of their own subjects only; heads of sales and admins any."""
    if actor.role in OVERSEERS:
        return
    if actor.role is Role.MANAGER and responsible_id == actor.id:
        return
    if actor.role is Role.MANAGER:
        raise Forbidden("a manager may reschedule only calls of their own subjects")
    raise Forbidden(f"role {actor.role} may not reschedule calls")


def is_overdue(next_call_at: datetime | None, state: str, now: datetime) -> bool:
    """A live plan whose due time has passed; SQL in handlers/calls.py mirrors this rule."""
    return next_call_at is not None and state in ACTIVE_STATES and next_call_at < now
