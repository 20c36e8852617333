"""Rules of delivering one notification through one channel: states, retries, skips."""

from __future__ import annotations

from datetime import datetime, timedelta

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
CANCELLED = "cancelled"  # the reminder was cancelled or its basis closed before the send

SCHEDULED = "scheduled"  # a reminder's states: SCHEDULED or CANCELLED


class DeliveryError(Exception):
    """A send failed in a way another attempt may fix (timeout, 5xx, connection refused)."""


class PermanentDeliveryError(DeliveryError):
    """A send was refused for good (4xx, bad address): retrying cannot help."""


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Wait before the next send after ``attempts`` failed ones: base, 2x, 4x... capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds))


def after_failure(
    attempts: int, error: DeliveryError, now: datetime, max_attempts: int, base: float, cap: float
) -> tuple[str, datetime | None]:
    """The state and next attempt time of a delivery whose ``attempts``-th send failed."""
    if isinstance(error, PermanentDeliveryError) or attempts >= max_attempts:
        return FAILED, None
    return PENDING, now + backoff(attempts, base, cap)


def reminder_is_due(state: str, basis_closed: bool, remind_at: datetime, fire_at: datetime) -> bool:
    """A fired reminder goes out unless cancelled, its basis closed, or the timer is stale."""
    return state == SCHEDULED and not basis_closed and remind_at == fire_at
