"""The transactional outbox every producing service uses, and its relay.

A service writes each message it produces into its own ``outbox`` table in the same
transaction as the state change; the relay publishes committed rows in order, a batch
at a time confirmed as a whole, and marks them sent. A crash between publish and mark re-sends the
row with the same ``message_id``, which consumers deduplicate.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import psycopg
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Insert,
    Integer,
    String,
    Uuid,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, sessionmaker

from shared import containment
from shared.batch_publisher import BatchPublisher
from shared.broker import reconnect
from shared.contracts import envelope
from shared.db import InboxColumns, one_of, rowcount, stamped, table_of, utcnow
from shared.publisher import outgoing, queued

log = logging.getLogger(__name__)


class OutboxColumns(containment.Quarantinable):
    """Mixin of the outbox table; a service maps it on its own base, in its own schema.

    ``class OutboxMessage(OutboxColumns, Base)``. ``queue`` set means a command for that one
    queue; unset means an event for the exchange and the contract's subscribers.
    """

    __tablename__ = "outbox"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index]:
        # The relay reads only what is pending, oldest first: this index holds just those rows.
        # Made per class: an index belongs to one table.
        return (Index("ix_outbox_pending", "id", postgresql_where=text("published_at IS NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    aggregate: Mapped[str] = mapped_column(String(50))
    aggregate_id: Mapped[str] = mapped_column(String(50))
    type: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    queue: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()

    if TYPE_CHECKING:  # the declarative base of the mapped class provides it

        def __init__(self, **columns: Any) -> None: ...


def notify_trigger_sql(schema: str) -> tuple[str, str]:
    """SQL for a migration: (create, drop) of the trigger that wakes the relay on insert.

    The NOTIFY is delivered when the inserting transaction commits, never before.
    """
    create = f"""
        CREATE FUNCTION {schema}.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{schema}_outbox', ''); RETURN NULL; END $$;
        CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_outbox();
    """
    drop = f"DROP TRIGGER outbox_notify ON {schema}.outbox; DROP FUNCTION {schema}.notify_outbox()"
    return create, drop


class RowOptions(TypedDict, total=False):
    """How a message is recorded: see :func:`record`."""

    occurred_at: datetime | None
    message_id: uuid.UUID | None
    queue: str | None


def record(
    session: Session,
    model: type[OutboxColumns],
    aggregate: str,
    aggregate_id: int | str,
    type_: Any,
    data: dict[str, Any] | None = None,
    **options: Unpack[RowOptions],
) -> Any:
    """Add one message to the outbox; it is published after the transaction commits.

    Parameters:
      session: the session whose transaction holds the state change.
      model: the service's ``OutboxMessage`` class.
      aggregate: the routing key's first part (``lead``, ``reminder``...).
      aggregate_id: id of the aggregate; rows of one aggregate are published in order.
      type_: the message type, or a typed message (``shared.messages``) instead of type
        and ``data``; the data is checked against its contract here, so a bad message
        fails the business transaction instead of reaching consumers.
      occurred_at: when it happened; now by default.
      message_id: a deterministic id when the same effect may be recorded twice.
      queue: send to this queue only (a command) instead of exchange + subscribers.

    Raises:
      ContractError: ``data`` does not match the contract.
    """
    row = model(**row_values(aggregate, aggregate_id, type_, data, **options))
    session.add(row)
    return row


def row_values(
    aggregate: str,
    aggregate_id: int | str,
    type_: Any,
    data: dict[str, Any] | None = None,
    **options: Unpack[RowOptions],
) -> dict[str, Any]:
    """The columns of one outbox row, for :func:`record_many`; parameters as :func:`record`.

    Raises:
      ContractError: ``data`` does not match the contract.
    """
    occurred_at = options.get("occurred_at") or utcnow()
    message_id = options.get("message_id") or uuid.uuid4()
    env = envelope(type_, data, message_id=message_id, occurred_at=occurred_at)
    return {
        "message_id": uuid.UUID(env["message_id"]),
        "aggregate": aggregate,
        "aggregate_id": str(aggregate_id),
        "type": env["type"],
        "version": env["version"],
        "occurred_at": occurred_at,
        "data": env["data"],
        "queue": options.get("queue"),
    }


def record_many(session: Session, model: type[OutboxColumns], rows: list[dict[str, Any]]) -> None:
    """Add messages to the outbox in one statement; published after the transaction commits.

    Parameters:
      session: the session whose transaction holds the state change.
      model: the service's ``OutboxMessage`` class.
      rows: the messages, each as :func:`row_values` makes it, in the order to publish them.
    """
    if not rows:
        return
    if session.new:
        # Rows the session still holds were recorded first: they take the lower ids, so
        # the relay publishes them first.
        session.flush()
    stmt = _INSERTS.get(model)
    if stmt is None:
        # Built once a model: on a hot path, a statement's construction costs more than its
        # execution.
        stmt = _INSERTS[model] = insert(table_of(model))
    session.execute(stmt, rows)


_INSERTS: dict[type[OutboxColumns], Insert] = {}


def to_envelope(row: Any) -> dict[str, Any]:
    """The published form of an outbox row: the same envelope every time it is sent."""
    return {
        "message_id": str(row.message_id),
        "type": row.type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat(),
        "data": row.data,
    }


class Relay:
    """Publishes a service's pending outbox rows to RabbitMQ, then marks them sent.

    Parameters:
      sessions: the service's session factory.
      broker: the RabbitMQ broker (confirms on).
      exchange: the integration exchange, ``crm.events``.
      model: the service's ``OutboxMessage`` class.
      batch_size: rows per transaction.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        broker: RabbitmqBroker,
        exchange: str,
        model: type[OutboxColumns],
        batch_size: int = 200,
    ):
        self.sessions = sessions
        self.broker = broker
        self.exchange = exchange
        self.model = model
        self.batch_size = batch_size
        schema = model.__table__.schema
        self.channel = f"{schema}_outbox"
        # One relay per service publishes at a time so that an aggregate's messages keep
        # their order; others wait on this lock and take over when its holder's connection drops.
        self.lock_key = uuid.uuid5(uuid.NAMESPACE_URL, f"outbox/{schema}").int % (2**63)
        self._publisher: BatchPublisher | None = None

    def claim(self, session: Session, where: tuple[Any, ...] = ()) -> list[Any]:
        """The oldest pending rows (``where`` narrows them), locked for this transaction."""
        # Plain rows: what a row is sent as needs no ORM object of it.
        stmt = (
            select(self.model.__table__)
            .where(self.model.published_at.is_(None), *where)
            .order_by(self.model.id)
            .limit(self.batch_size)
            .with_for_update()
        )
        return list(session.execute(stmt))

    def publish(self, rows: list[Any]) -> None:
        """Publish the rows in order as one batch; returns only when the broker confirmed all.

        Raises:
          NotConfirmed: something was not confirmed; none of the rows may be marked.
        """
        messages = []
        for row in rows:
            env = to_envelope(row)
            if row.queue:
                messages.append(queued(row.queue, env))
            else:
                messages.extend(outgoing(self.exchange, row.aggregate, env))
        self.publisher.send(messages)

    @property
    def publisher(self) -> BatchPublisher:
        """One confirm wait a batch over a connection of the relay's own, opened on first use."""
        if self._publisher is None:
            params = self.broker.parameters
            self._publisher = BatchPublisher(
                params[0] if isinstance(params, list) else params,
                exchanges=(self.exchange,),
                declare_queue=lambda queue: self.broker.declare_queue(queue, ensure=True),
            )
        return self._publisher

    def close(self) -> None:
        """Close the publishing connection."""
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def mark(self, session: Session, rows: list[Any]) -> None:
        session.execute(
            update(self.model)
            .where(one_of(self.model.id, [r.id for r in rows]))
            .values(published_at=utcnow())
        )

    def relay_batch(self) -> tuple[int, bool]:
        """Claim, publish and mark one batch; returns how many rows were sent and whether
        more may be pending (the batch was full, or its rows were tried one by one).

        A row that can never be published (its payload breaks its contract, cannot be
        encoded...) is set aside with its reason and the others are sent; the rows after it
        of the same aggregate are sent too, as holding them would hold every later event.
        """
        result: tuple[int, bool] = containment.contain_batch(
            self.sessions,
            self.model,
            (self.model.published_at.is_(None),),
            self.model.id,
            self.batch_size,
            self._relay_claimed,
            containment.sent_and_more,
        )
        return result

    def _relay_claimed(self, where: tuple[Any, ...]) -> tuple[int, bool]:
        with self.sessions() as session, session.begin():
            rows = self.claim(session, where)
            if rows:
                self.publish(rows)
                self.mark(session, rows)
        return len(rows), len(rows) == self.batch_size

    def drain(self) -> int:
        """Send batches until one finds the rest: a batch that was not full took every row
        pending when it claimed, and a row committed after it wakes the relay by NOTIFY, so
        no empty claim (a transaction) follows each wake-up."""
        total, more = 0, True
        while more:
            sent, more = self.relay_batch()
            total += sent
        return total

    def run(self, listen_dsn: str, poll_seconds: float, stop: threading.Event) -> None:
        """Relay until ``stop`` is set: drain, then sleep until NOTIFY or the poll interval.

        No failure ends it: a lost database connection is opened again (and the relay lock
        taken again), a failed drain is retried after a pause.
        """
        while not stop.is_set():
            try:
                self._serve(listen_dsn, poll_seconds, stop)
            except Exception as exc:  # the listen connection lost: reconnect, lock again
                containment.backoff(exc, "relay listener")
                stop.wait(1)

    def _serve(self, listen_dsn: str, poll_seconds: float, stop: threading.Event) -> None:
        with psycopg.connect(listen_dsn, autocommit=True) as listener:
            while not stop.is_set():
                locked = listener.execute("SELECT pg_try_advisory_lock(%s)", (self.lock_key,))
                if locked.fetchone() == (True,):
                    break
                stop.wait(max(poll_seconds, 1.0))
            listener.execute(f"LISTEN {self.channel}")
            log.info("relay active", extra={"channel": self.channel})
            pause = containment.Pause()
            try:
                while not stop.is_set():
                    try:
                        if sent := self.drain():
                            log.info("relayed", extra={"count": sent})
                        pause.succeeded()
                    except Exception as exc:  # retried after a pause, never fatal
                        containment.backoff(exc, "relay", reset=self._reset_broker)
                        stop.wait(pause.failed())
                        continue  # at once after the pause, not after the next NOTIFY
                    for _ in listener.notifies(timeout=poll_seconds, stop_after=1):
                        pass
            finally:
                self.close()

    def _reset_broker(self) -> None:
        # Both connections: the publishing one of the batches and dramatiq's (queue declares).
        self.close()
        reconnect(self.broker)


def pending_count(session: Session, model: type[OutboxColumns]) -> int:
    """Rows of the outbox ``model`` that the relay has not published yet."""
    return session.execute(
        select(func.count())
        .select_from(model)
        .where(model.published_at.is_(None), containment.not_quarantined(model))
    ).scalar_one()


def cleanup_messages(
    session: Session,
    outbox: type[OutboxColumns],
    inbox: type[InboxColumns],
    retention_days: int,
    now: datetime | None = None,
) -> dict[str, int]:
    """Delete outbox rows published and inbox ids recorded more than ``retention_days`` ago.

    Pending outbox rows stay whatever their age. An inbox id older than the retention no
    longer deduplicates, so the retention must outlast any redelivery.

    Parameters:
      session: the service's session, inside the routine's transaction.
      outbox: the service's ``OutboxMessage`` class.
      inbox: the service's ``InboxMessage`` class.
      retention_days: age past which rows go.

    Returns:
      dict: ``{"outbox_deleted": n, "inbox_deleted": m}``.
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    no_sync = {"synchronize_session": False}
    counts = {
        "outbox_deleted": rowcount(
            session.execute(
                delete(outbox).where(outbox.published_at < cutoff), execution_options=no_sync
            )
        ),
        "inbox_deleted": rowcount(
            session.execute(
                delete(inbox).where(inbox.processed_at < cutoff), execution_options=no_sync
            )
        ),
    }
    log.info("messages cleaned up", extra={**counts, "retention_days": retention_days})
    return counts
