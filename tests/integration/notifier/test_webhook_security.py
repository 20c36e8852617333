"""Webhooks reach only where they may, signed so that only their recipient can trust them.

The receiver here is a real HTTP server on 127.0.0.1, the one host the test run allows
(``WEBHOOK_ALLOWED_HOSTS``); every other way of naming the same machine is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import pytest
import standardwebhooks.webhooks
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifier.adapters.delivery_worker import DeliveryWorker
from shared.db import utcnow
from shared.webhooks import recipient_secret
from tests.helpers import eventually
from tests.integration.notifier.conftest import WEBHOOK_SECRET, employee, reminder, timer_fired
from tests.integration.notifier.test_deliveries import all_settled


def fire(notifier, reminder_id: int, recipient_id: int) -> str:
    data = reminder(reminder_id, recipient_id)
    notifier.send("ReminderScheduled", data)
    notifier.send("TimerFired", timer_fired(data))
    notifier.settle()
    return f"reminder:{reminder_id}"


def with_webhook(employee_id: int, url: str, version: int = 1) -> dict:
    return employee(
        employee_id, channels=["webhook"], webhook_url=url, webhook_secret_version=version
    )


def sender(sessions, settings, **overrides) -> DeliveryWorker:
    """The delivery workers' code, run in the test's thread (``drain``) with these settings."""
    return DeliveryWorker(sessions, replace(settings, webhook_secret=WEBHOOK_SECRET, **overrides))


def test_each_recipient_gets_webhooks_signed_with_their_own_current_secret(
    notifier, delivery_workers, webhooks
):
    notifier.employees(
        with_webhook(11, f"{webhooks.url}/ann", version=1),
        with_webhook(12, f"{webhooks.url}/bob", version=3),  # rotated twice
    )
    for key in (fire(notifier, 5, 11), fire(notifier, 6, 12)):
        eventually(partial(all_settled, notifier, key, 1))

    [ann] = webhooks.received("/ann")
    [bob] = webhooks.received("/bob")
    sent_at = int(ann["headers"]["webhook-timestamp"])
    assert abs(sent_at - utcnow().timestamp()) < 60
    body = Webhook(recipient_secret(WEBHOOK_SECRET, 11, 1)).verify(ann["body"], ann["headers"])
    assert (body["reminder_id"], body["recipient_id"]) == (5, 11)
    Webhook(recipient_secret(WEBHOOK_SECRET, 12, 3)).verify(bob["body"], bob["headers"])

    # Nobody else's secret, no rotated-away secret, and not the master key itself verifies.
    for wrong in (
        recipient_secret(WEBHOOK_SECRET, 12, 3),
        recipient_secret(WEBHOOK_SECRET, 11, 2),
        recipient_secret("another-deployment-master-key", 11, 1),
    ):
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(wrong).verify(ann["body"], ann["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(recipient_secret(WEBHOOK_SECRET, 12, 2)).verify(bob["body"], bob["headers"])


class _SixMinutesLater(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + timedelta(minutes=6)


def test_a_captured_webhook_cannot_be_replayed_later(
    notifier, delivery_workers, webhooks, monkeypatch
):
    notifier.employees(with_webhook(11, f"{webhooks.url}/replayed"))
    key = fire(notifier, 5, 11)
    eventually(lambda: all_settled(notifier, key, 1))
    [captured] = webhooks.received("/replayed")
    receiver = Webhook(recipient_secret(WEBHOOK_SECRET, 11, 1))
    receiver.verify(captured["body"], captured["headers"])

    # Replayed as it was: its timestamp is too old for the receiver's verifier.
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _SixMinutesLater)
    with pytest.raises(WebhookVerificationError, match="too old"):
        receiver.verify(captured["body"], captured["headers"])
    # Replayed with a fresh timestamp: the signature covers the timestamp, so it fails.
    restamped = {
        **captured["headers"],
        "webhook-timestamp": str(int(_SixMinutesLater.now().timestamp())),
    }
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver.verify(captured["body"], restamped)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",  # resolves to 127.0.0.1, which is allowed only when written as such
        "0x7f000001",  # 127.0.0.1 in hexadecimal
        "2130706433",  # 127.0.0.1 as one decimal number
        "127.1",  # 127.0.0.1, short form
    ],
)
def test_a_webhook_to_an_internal_address_is_refused_at_delivery_and_nothing_is_sent(
    notifier, sessions, settings, webhooks, host
):
    # The URL reaches the notifier as the CRM's directory says, past the CRM's own check
    # (a name whose DNS answer changed since it was saved).
    port = webhooks.url.rsplit(":", 1)[1]
    notifier.employees(with_webhook(11, f"http://{host}:{port}/inside"))
    key = fire(notifier, 5, 11)

    assert sender(sessions, settings).drain() == 1
    [row] = notifier.deliveries(key)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("webhook URL refused: may not point inside the network: ")
    assert row.last_error.endswith(" is a loopback address")
    assert webhooks.calls["/inside"] == 0


def test_an_internal_host_the_admin_allows_is_delivered_to(notifier, sessions, settings, webhooks):
    port = webhooks.url.rsplit(":", 1)[1]
    notifier.employees(with_webhook(11, f"http://localhost:{port}/allowed"))
    key = fire(notifier, 5, 11)

    allowing = sender(sessions, settings, webhook_allowed_hosts="LocalHost, other.internal")
    assert allowing.drain() == 1
    [row] = notifier.deliveries(key)
    assert (row.state, row.attempts) == ("delivered", 1)
    [hook] = webhooks.received("/allowed")
    assert hook["headers"]["Host"] == f"localhost:{port}"  # the name, though the address was used


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    notifier, delivery_workers, webhooks
):
    webhooks.redirect["/moved"] = f"{webhooks.url}/elsewhere"
    notifier.employees(with_webhook(11, f"{webhooks.url}/moved"))
    key = fire(notifier, 5, 11)

    [row] = eventually(lambda: all_settled(notifier, key, 1))
    assert (row.state, row.attempts, row.delivered_at) == ("failed", 4, None)
    assert row.last_error == f"HTTP 302 redirect to {webhooks.url}/elsewhere not followed"
    assert webhooks.calls["/moved"] == 4
    assert webhooks.calls["/elsewhere"] == 0  # neither a GET nor a POST went there
