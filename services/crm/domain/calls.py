"""Who sees and moves planned calls, and when a planned call is overdue.

The calls panel is sales work. A manager works their own list: asking without a
manager filter means "my calls", and asking for a colleague's list is refused
(403) rather than silently answered with the manager's own calls, so a wrong
link is noticed. Heads of sales and admins see and move everyone's calls, with
or without the filter. Other roles (secretaries, executors) have no calls panel.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.crm.domain.errors import Forbidden, Invalid
from services.crm.domain.roles import Actor, Role
from shared.calendar import local_instant, zone
from shared.i18n import _

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


def is_overdue(next_call_at: datetime | None, state: str, now: datetime) -> bool:
    """A live plan whose due time has passed; SQL in handlers/calls.py mirrors this rule."""
    return next_call_at is not None and state in ACTIVE_STATES and next_call_at < now


def day_window(
    day: str | None, date_from: date | None, date_to: date | None, tz: str, now: datetime
) -> tuple[datetime | None, datetime | None] | None:
    """The instants [start, end) of "today", a date or a period of dates, in the reader's zone.

    ``day`` is "today" or an ISO date; a period is ``date_from`` to ``date_to``, both included,
    either open-ended (None). None when no day filter is given.
    """
    if day is not None and (date_from or date_to):
        raise Invalid("day", _("give a day or a period (date_from, date_to), not both"))
    if day is not None:
        if day == "today":
            first = now.astimezone(zone(tz)).date()
        else:
            try:
                first = date.fromisoformat(day)
            except ValueError:
                raise Invalid("day", _('must be "today" or a date such as 2026-12-01')) from None
        date_from = date_to = first
    if date_from is None and date_to is None:
        return None
    if date_from and date_to and date_to < date_from:
        raise Invalid("date_to", _("must not be before date_from"))
    local = zone(tz)
    start = local_instant(date_from, time(0), local) if date_from else None
    end = local_instant(date_to + timedelta(days=1), time(0), local) if date_to else None
    return start, end
