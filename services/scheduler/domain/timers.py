"""Rules of one-shot timers: the latest command about a key wins."""

from __future__ import annotations

from datetime import datetime

PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"


def supersedes(command_at: datetime, last_change_at: datetime | None) -> bool:
    """Whether a schedule or cancel sent at ``command_at`` replaces what the key holds.

    Commands can be redelivered out of order; an older one must not undo a newer cancel.
    """
    return last_change_at is None or command_at >= last_change_at
