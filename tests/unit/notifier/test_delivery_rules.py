"""Delivery rules: channels by preference, backoff of retries, when a fired reminder goes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifier.domain.delivery import (
    FAILED,
    PENDING,
    DeliveryError,
    PermanentDeliveryError,
    after_failure,
    reminder_is_due,
)
from services.notifier.domain.directory import Person, channels_of

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_an_employee_without_preferences_or_unknown_gets_the_in_app_inbox():
    assert channels_of(Person(1, "manager")) == ("in_app",)
    assert channels_of(None) == ("in_app",)
    assert channels_of(Person(1, "manager", channels=("webhook", "email"))) == ("email", "webhook")


def test_failed_sends_wait_longer_each_time_up_to_the_cap_then_give_up():
    waits = [after_failure(n, DeliveryError("x"), NOW, 6, 2.0, 10.0) for n in range(1, 7)]
    assert [w[1] - NOW for w in waits[:5]] == [timedelta(seconds=s) for s in (2, 4, 8, 10, 10)]
    assert all(w[0] == PENDING for w in waits[:5])
    assert waits[5] == (FAILED, None)


def test_a_permanent_refusal_is_not_retried():
    assert after_failure(1, PermanentDeliveryError("404"), NOW, 8, 2.0, 60.0) == (FAILED, None)


def test_a_fired_reminder_is_not_delivered_when_cancelled_closed_or_rescheduled():
    assert reminder_is_due("scheduled", False, NOW, NOW)
    assert not reminder_is_due("cancelled", False, NOW, NOW)
    assert not reminder_is_due("scheduled", True, NOW, NOW)
    assert not reminder_is_due("scheduled", False, NOW + timedelta(hours=1), NOW)
