"""Webhook channel: an HTTP POST of JSON, signed with HMAC-SHA256 of the body.

The receiver checks ``X-Signature: sha256=<hex>`` against its copy of the secret and may
drop a repeat by ``Idempotency-Key``, which is the same on every attempt of a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from typing import Any

from services.notifier.adapters.orm import Delivery
from services.notifier.domain.delivery import DeliveryError, PermanentDeliveryError

SIGNATURE_HEADER = "X-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Client errors that a later attempt can fix: timeout, too early, rate limited.
RETRYABLE_4XX = {408, 425, 429}


def sign(body: bytes, secret: str) -> str:
    """The signature header value of ``body``: ``sha256=`` and the hex HMAC."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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


class WebhookSender:
    """POSTs a delivery to its URL; a 2xx answer is delivered."""

    def __init__(self, secret: str, timeout: float):
        self.secret, self.timeout = secret, timeout

    def __call__(self, delivery: Delivery) -> None:
        """Send once; raises DeliveryError (retry) or PermanentDeliveryError (4xx)."""
        body = json.dumps(payload(delivery), sort_keys=True).encode()
        request = urllib.request.Request(
            delivery.address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, self.secret),
                IDEMPOTENCY_HEADER: f"{delivery.notification}:webhook",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX
            error = PermanentDeliveryError if permanent else DeliveryError
            raise error(f"HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise DeliveryError(f"webhook {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # not a URL urllib can POST to
            raise PermanentDeliveryError(f"bad webhook URL: {exc}") from exc
