"""The outbox relay: publishes committed events to RabbitMQ, in order, then marks them sent."""

from __future__ import annotations

import logging
import threading

import dramatiq
import pika
import psycopg
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from services.crm.adapters.orm import OutboxMessage
from services.crm.adapters.outbox import to_envelope
from shared.db import utcnow
from shared.publisher import publish

log = logging.getLogger(__name__)

CHANNEL = "crm_outbox"
# One relay publishes at a time so that events of an aggregate keep their order;
# others wait on this lock and take over when the holder's connection drops.
LOCK_KEY = 0x0C0B_0001


class Relay:
    """Publishes pending outbox rows to the ``crm.events`` exchange and the subscribed queues."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        broker: dramatiq.Broker,
        exchange: str,
        batch_size: int = 200,
    ):
        self.sessions = sessions
        self.broker = broker
        self.exchange = exchange
        self.batch_size = batch_size

    def claim(self, session: Session) -> list[OutboxMessage]:
        """The oldest pending rows, locked for this transaction."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(self.batch_size)
            .with_for_update()
        )
        return list(session.scalars(stmt))

    def publish(self, rows: list[OutboxMessage]) -> None:
        """Publish each row with publisher confirms; returns only when the broker has them all."""
        for row in rows:
            publish(self.broker, self.exchange, row.aggregate, to_envelope(row))

    @staticmethod
    def mark(session: Session, rows: list[OutboxMessage]) -> None:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]))
            .values(published_at=utcnow())
        )

    def relay_batch(self) -> int:
        """Claim, publish and mark one batch; returns how many rows were sent."""
        with self.sessions() as session, session.begin():
            rows = self.claim(session)
            if rows:
                self.publish(rows)
                self.mark(session, rows)
        return len(rows)

    def drain(self) -> int:
        """Send batches until nothing is pending."""
        total = 0
        while sent := self.relay_batch():
            total += sent
        return total

    def run(self, listen_dsn: str, poll_seconds: float, stop: threading.Event) -> None:
        """Relay until ``stop`` is set: drain, then sleep until NOTIFY or the poll interval."""
        with psycopg.connect(listen_dsn, autocommit=True) as listener:
            self._wait_for_lock(listener, poll_seconds, stop)
            listener.execute(f"LISTEN {CHANNEL}")
            log.info("relay active")
            while not stop.is_set():
                try:
                    sent = self.drain()
                    if sent:
                        log.info("relayed", extra={"count": sent})
                except (pika.exceptions.AMQPError, dramatiq.errors.BrokerConnectionError) as exc:
                    log.warning("broker unavailable, retrying", extra={"error": str(exc)})
                    del self.broker.connection
                    stop.wait(1)
                for _ in listener.notifies(timeout=poll_seconds, stop_after=1):
                    pass

    @staticmethod
    def _wait_for_lock(
        listener: psycopg.Connection, poll_seconds: float, stop: threading.Event
    ) -> None:
        while not stop.is_set():
            if listener.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                return
            stop.wait(max(poll_seconds, 1.0))


def sqlalchemy_to_libpq(url: str) -> str:
    """psycopg wants ``postgresql://``; SQLAlchemy URLs carry the driver name."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pending_count(session: Session) -> int:
    return session.scalar(text("SELECT count(*) FROM crm.outbox WHERE published_at IS NULL"))
