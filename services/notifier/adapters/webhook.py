"""Webhook channel: an HTTP POST of JSON, signed the Standard Webhooks way.

Headers ``webhook-id`` (the same on every attempt of a delivery, so a receiver can drop a
repeat), ``webhook-timestamp`` (the attempt's time) and ``webhook-signature``, made with the
recipient's own secret (shared/webhooks.py). A receiver verifies with any Standard Webhooks
library, which also refuses a timestamp more than five minutes old: a captured request
cannot be replayed later.

The URL is checked at every attempt (shared/webhooks.py) and the connection goes to the
address that was checked. Redirects are never followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Collection
from typing import Any

from standardwebhooks import Webhook

from services.notifier.adapters.orm import Delivery
from services.notifier.domain.delivery import DeliveryError, PermanentDeliveryError
from shared import webhooks
from shared.db import utcnow

# Client errors that a later attempt can fix: timeout, too early, rate limited.
RETRYABLE_4XX = {408, 425, 429}


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON a receiver gets: what the notification is about and the text."""
    return {
        "event": delivery.notification.split(":", 1)[0],
        "notification": delivery.notification,
        "recipient_id": delivery.recipient_id,
        "subject": delivery.subject,
        "text": delivery.body,
        "reminder_id": delivery.reminder_id,
        "task_id": delivery.task_id,
        "due_at": delivery.due_at.isoformat(),
    }


class _PinnedHTTP(http.client.HTTPConnection):
    """Speaks to the URL's host but connects to the address that was checked."""

    def __init__(self, target: webhooks.Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, target: webhooks.Target, timeout: float, tls: ssl.SSLContext):
        super().__init__(target, timeout)
        self.tls = tls

    def connect(self) -> None:
        super().connect()
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


class WebhookSender:
    """POSTs a delivery to its URL; a 2xx answer is delivered."""

    def __init__(self, master_secret: str, timeout: float, allowed_hosts: Collection[str] = ()):
        self.master_secret, self.timeout, self.allowed = master_secret, timeout, allowed_hosts
        self.tls = ssl.create_default_context()

    def headers(self, delivery: Delivery, body: str) -> dict[str, str]:
        """Content type and the Standard Webhooks id, timestamp and signature of ``body``."""
        recipient = delivery.recipient
        version = recipient.webhook_secret_version if recipient else 0
        secret = webhooks.recipient_secret(self.master_secret, delivery.recipient_id, version)
        message_id, now = f"{delivery.notification}:webhook", utcnow()
        return {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body),
        }

    def __call__(self, delivery: Delivery) -> None:
        """Send once; raises DeliveryError (retry) or PermanentDeliveryError (refused, 4xx)."""
        try:
            target = webhooks.check(delivery.address or "", self.allowed)
        except webhooks.ForbiddenTarget as exc:
            raise PermanentDeliveryError(f"webhook URL refused: {exc.reason}") from exc
        except webhooks.UnresolvedTarget as exc:
            raise DeliveryError(f"webhook {exc}") from exc
        body = json.dumps(payload(delivery), sort_keys=True)
        connection = (
            _PinnedHTTPS(target, self.timeout, self.tls)
            if target.scheme == "https"
            else _PinnedHTTP(target, self.timeout)
        )
        try:
            connection.request("POST", target.path, body.encode(), self.headers(delivery, body))
            response = connection.getresponse()
            response.read()
        except (http.client.HTTPException, OSError) as exc:
            raise DeliveryError(f"webhook {type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()
        _judge(response)


def _judge(response: http.client.HTTPResponse) -> None:
    status = response.status
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        location = response.getheader("Location", "nowhere")
        raise DeliveryError(f"HTTP {status} redirect to {location} not followed")
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    error = PermanentDeliveryError if permanent else DeliveryError
    raise error(f"HTTP {status} {response.reason}")
