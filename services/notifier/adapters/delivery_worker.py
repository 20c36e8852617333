"""The delivery workers: threads that send pending e-mails and webhooks from the delivery log.

Each worker claims one due pending row with ``FOR UPDATE SKIP LOCKED``, sends it while
holding the row lock, and records the outcome in the same transaction: delivered, failed
for good, or pending again after an exponential backoff. A slow or failing webhook holds
one worker and one row; the other workers go on with the other rows, and workers in other
notifier processes share the rows the same way.

Exactly once per (notification, channel): a row is claimed by one worker at a time and a
delivered row is never claimed again. The remaining window is a crash (or a lost database
connection) after the SMTP server accepted the message or the webhook answered 2xx and
before the commit: the row is still pending and is sent again after restart. Receivers can
drop that second copy by its stable ``Message-ID`` / ``Idempotency-Key``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.notifier.adapters.email import SmtpSender
from services.notifier.adapters.orm import Delivery
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.domain.delivery import (
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryError,
    after_failure,
)
from shared import config, containment, metrics, webhooks
from shared.db import utcnow
from shared.names import Channel

log = logging.getLogger(__name__)

Sender = Callable[[Delivery], None]
CHANNEL = "notifier_deliveries"  # NOTIFY'd by the deliveries insert trigger
MAX_SLEEP_SECONDS = 5.0


def senders_for(settings: config.Settings) -> dict[str, Sender]:
    """The e-mail and webhook senders, configured from the settings."""
    return {
        Channel.EMAIL: SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_timeout_seconds,
        ),
        Channel.WEBHOOK: WebhookSender(
            webhooks.master_secret(settings),
            settings.webhook_timeout_seconds,
            webhooks.allowed_hosts(settings),
        ),
    }


class DeliveryWorker:
    """Sends the delivery log's pending rows through their channel's sender."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: config.Settings,
        senders: dict[str, Sender] | None = None,
    ):
        self.sessions = sessions
        self.settings = settings
        self.senders = senders if senders is not None else senders_for(settings)

    def _claim(self, session: Session) -> Delivery | None:
        return session.scalars(
            select(Delivery)
            .where(Delivery.state == PENDING, Delivery.next_attempt_at <= utcnow())
            .order_by(Delivery.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()

    def deliver_next(self) -> bool:
        """Send one due pending delivery and record how it went; False when none is due."""
        with self.sessions() as session, session.begin():
            delivery = self._claim(session)
            if delivery is None:
                return False
            delivery.attempts += 1
            try:
                self.senders[delivery.channel](delivery)
            except Exception as exc:
                # A bug in one send must not stop the worker or the other rows: it is logged
                # and retried like a send error, and ends failed after the last attempt.
                self._failed(delivery, exc)
            else:
                delivery.state, delivery.delivered_at = DELIVERED, utcnow()
                delivery.next_attempt_at = None  # last_error stays: the log of what went wrong
                log.info("delivered", extra=_about(delivery))
                metrics.count_delivery(delivery.channel, "delivered")
            delivery.updated_at = utcnow()
        return True

    def _failed(self, delivery: Delivery, exc: Exception) -> None:
        error = (
            exc if isinstance(exc, DeliveryError) else DeliveryError(f"{type(exc).__name__}: {exc}")
        )
        s = self.settings
        delivery.state, delivery.next_attempt_at = after_failure(
            delivery.attempts,
            error,
            utcnow(),
            s.delivery_max_attempts,
            s.delivery_backoff_seconds,
            s.delivery_backoff_max_seconds,
        )
        delivery.last_error = str(error)[:2000]
        metrics.count_delivery(delivery.channel, "failed" if delivery.state == FAILED else "retry")
        log.warning(
            "delivery attempt failed",
            exc_info=not isinstance(exc, DeliveryError),
            extra={**_about(delivery), "error": delivery.last_error},
        )

    def drain(self) -> int:
        """Send every delivery due now; returns how many attempts were made."""
        count = 0
        while self.deliver_next():
            count += 1
        return count

    def seconds_until_due(self) -> float:
        """How long until the earliest pending row no other worker holds falls due."""
        with self.sessions() as session, session.begin():
            row = self._claim_time(session)
        if row is None:
            return MAX_SLEEP_SECONDS
        return min(max((row - utcnow()).total_seconds(), 0.01), MAX_SLEEP_SECONDS)

    def _claim_time(self, session: Session) -> datetime | None:
        # SKIP LOCKED: a row being sent by another worker is not a reason to wake up now.
        return session.scalar(
            select(Delivery.next_attempt_at)
            .where(Delivery.state == PENDING)
            .order_by(Delivery.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    def run(self, stop: threading.Event, listen_dsn: str) -> None:
        """Run ``delivery_workers`` threads until ``stop``; a NOTIFY on insert wakes them."""
        wake = threading.Event()
        threads = [
            threading.Thread(
                target=self._work, args=(stop, wake), name=f"delivery-{i}", daemon=True
            )
            for i in range(max(self.settings.delivery_workers, 1))
        ]
        for thread in threads:
            thread.start()
        try:
            while not stop.is_set():
                try:
                    self._listen(listen_dsn, stop, wake)
                except Exception as exc:  # the listen connection lost: reconnect
                    containment.backoff(exc, "delivery listener")
                    wake.set()  # the workers poll meanwhile
                    stop.wait(1)
        finally:
            stop.set()
            wake.set()
            for thread in threads:
                thread.join()

    @staticmethod
    def _listen(listen_dsn: str, stop: threading.Event, wake: threading.Event) -> None:
        with psycopg.connect(listen_dsn, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            wake.set()
            while not stop.is_set():
                for _ in listener.notifies(timeout=0.5, stop_after=1):
                    wake.set()

    def _work(self, stop: threading.Event, wake: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.drain()
                wait = self.seconds_until_due()
            except Exception:  # database away: log, back off, try again
                log.exception("delivery worker error")
                wait = MAX_SLEEP_SECONDS
            # Clear before sleeping only what was already handled: a NOTIFY that arrives while
            # draining keeps the event set, so the next wait returns at once.
            if not stop.is_set() and wake.wait(wait):
                wake.clear()


def _about(delivery: Delivery) -> dict[str, object]:
    return {
        "notification": delivery.notification,
        "channel": delivery.channel,
        "attempts": delivery.attempts,
        "state": delivery.state,
    }
