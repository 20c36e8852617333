"""Publishing a batch of messages and waiting once for the broker's confirms of all of them.

pika's BlockingChannel in confirm mode waits for each message's confirm before it sends the
next: a round trip and a disk write each, about a millisecond, so one channel tops out near
a thousand persistent messages a second. Here one connection, run by pika's SelectConnection
in a thread of its own, sends every message of a batch back to back, and the caller waits
once, until RabbitMQ has acked each of them (it writes them to disk together).

A batch goes out as one write of its frames, marshalled here: pika's ``basic_publish``
would cost a socket write per frame (three a message), each handing the GIL to the caller's
thread and waiting to get it back, and more CPU a message than building it.

The guarantee is the one of a confirmed publish, for the batch as a whole: :meth:`send`
returns only when every message is confirmed, and raises :class:`NotConfirmed` when any is
nacked, returned as unroutable, or left unconfirmed by a lost connection or the timeout.
The caller then marks nothing of the batch and sends it again later under the same message
ids, which consumers deduplicate.
"""

from __future__ import annotations

import functools
import logging
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pika
import pika.channel
import pika.exceptions
import pika.spec

log = logging.getLogger(__name__)

# Longest a batch waits for its confirms; the link is dropped then, and the batch fails.
CONFIRM_TIMEOUT = 30.0


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: where to, the body, its properties.

    ``queue`` names the service queue a dramatiq message is routed to (through the default
    exchange): it must exist, so the message is published ``mandatory`` and a return fails
    the batch. Messages to a topic exchange have none: no bound queue is no error.
    """

    exchange: str
    routing_key: str
    body: bytes
    properties: pika.BasicProperties
    queue: str | None = None
    encoded_properties: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Encoded here, in the thread that built the message, so that a value AMQP cannot
        # carry (a timestamp before 1970, a name over 255 octets) fails that message's row,
        # not the I/O thread.
        try:
            _publish_method(self.exchange, self.routing_key, self.queue is not None)
            encoded = b"".join(self.properties.encode())
        except (struct.error, TypeError, ValueError, pika.exceptions.ShortStringTooLong) as exc:
            raise ValueError(f"message properties cannot be sent: {exc}") from exc
        object.__setattr__(self, "encoded_properties", encoded)

    def frames(self, channel: int) -> bytes:
        """The message as written on ``channel``: Basic.Publish, content header, body, the
        bytes pika's ``basic_publish`` writes."""
        method = _publish_method(self.exchange, self.routing_key, self.queue is not None)
        header = _HEADER_START.pack(pika.spec.BasicProperties.INDEX, len(self.body))
        parts = [
            _frame(pika.spec.FRAME_METHOD, channel, method),
            _frame(pika.spec.FRAME_HEADER, channel, header + self.encoded_properties),
        ]
        for start in range(0, len(self.body), _BODY_PART):
            parts.append(
                _frame(pika.spec.FRAME_BODY, channel, self.body[start : start + _BODY_PART])
            )
        return b"".join(parts)


# A frame's type, channel and payload size before its payload, the end octet after it.
_FRAME_START = struct.Struct(">BHI")
_FRAME_END = b"\xce"
# A content header's class, weight and body size before the properties.
_HEADER_START = struct.Struct(">HxxQ")
# Bodies go in parts that fit the smallest frame every broker takes (4,096 octets, the frame's
# 8 of framing included), whatever frame size the connection negotiated.
_BODY_PART = 4096 - 8


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return _FRAME_START.pack(kind, channel, len(payload)) + payload + _FRAME_END


@functools.lru_cache(maxsize=256)
def _publish_method(exchange: str, routing_key: str, mandatory: bool) -> bytes:
    """Basic.Publish's payload; a batch's messages share a few destinations."""
    method = pika.spec.Basic.Publish(
        exchange=exchange, routing_key=routing_key, mandatory=mandatory
    )
    return struct.pack(">I", method.INDEX) + b"".join(method.encode())


class NotConfirmed(Exception):
    """The broker did not confirm every message of a batch; none of it may be marked sent."""


class Pending:
    """A submitted batch: :meth:`wait` returns once the broker confirmed all of it."""

    def __init__(self, messages: Sequence[Outgoing], timeout: float):
        self.messages = messages
        self.timeout = timeout
        self.unsettled: set[int] = set()
        self.error: str | None = None
        self.done = threading.Event()
        self.link: _Link | None = None

    def wait(self) -> None:
        """Block until every message is confirmed.

        Raises:
          NotConfirmed: a message was nacked or unroutable, the connection was lost or the
          confirms did not come within the timeout; nothing of the batch may be marked.
        """
        if not self.done.wait(self.timeout):
            if self.link is not None:
                self.link.close()  # a stalled connection: the next batch opens another
            raise NotConfirmed(f"no confirms within {self.timeout:.0f} s")
        if self.error:
            raise NotConfirmed(self.error)

    def fail(self, reason: str) -> None:
        self.error = self.error or reason
        self.done.set()

    def settle(self, tag: int, multiple: bool) -> None:
        if multiple:
            self.unsettled = {t for t in self.unsettled if t > tag}
        else:
            self.unsettled.discard(tag)
        if not self.unsettled:
            self.done.set()


class _Link:
    """One connection and its confirm-mode channel, driven by its own I/O thread."""

    def __init__(self, params: pika.ConnectionParameters, exchanges: Sequence[str]):
        self.exchanges = list(exchanges)
        self.ready = threading.Event()
        self.closed: str | None = None
        self.channel: pika.channel.Channel | None = None
        self.inflight: list[Pending] = []  # submitted, not yet settled, oldest first
        self.tag = 0  # delivery tag of the last message sent on the channel
        self.connection = pika.SelectConnection(
            params,
            on_open_callback=self._opened,
            on_open_error_callback=self._lost,
            on_close_callback=self._lost,
        )
        self.thread = threading.Thread(
            target=self.connection.ioloop.start, name="batch-publisher", daemon=True
        )
        self.thread.start()

    # -- called from the caller's thread --------------------------------------------------

    def submit(self, batch: Pending) -> None:
        self.connection.ioloop.add_callback_threadsafe(lambda: self._publish(batch))

    def close(self) -> None:
        try:
            self.connection.ioloop.add_callback_threadsafe(self._close)
        except Exception as exc:  # the loop is already gone
            log.debug("batch publisher already closed", extra={"error": str(exc)})
        self.thread.join(timeout=10)

    # -- called in the I/O thread ---------------------------------------------------------

    def _opened(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._channel_opened)

    def _channel_opened(self, channel: pika.channel.Channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._channel_closed)
        channel.add_on_return_callback(self._returned)
        channel.confirm_delivery(ack_nack_callback=self._confirmed, callback=self._declare)

    def _declare(self, _frame: object = None) -> None:
        """Declare the exchanges one after the other (each a round trip), then be ready."""
        if not self.exchanges:
            self.ready.set()
            return
        assert self.channel is not None  # opened before confirms were turned on
        self.channel.exchange_declare(
            self.exchanges.pop(), exchange_type="topic", durable=True, callback=self._declare
        )

    def _publish(self, batch: Pending) -> None:
        channel = self.channel
        if self.closed or channel is None or not channel.is_open or not self.connection.is_open:
            batch.fail(f"connection lost: {self.closed}")
            return
        self.inflight.append(batch)
        wire = b"".join(message.frames(channel.channel_number) for message in batch.messages)
        # One write for the whole batch. pika has no public call for frames marshalled
        # outside it; this is what its basic_publish ends in (pika is pinned, 1.4.4), and it
        # keeps the byte count its heartbeats go by.
        self.connection._output_marshaled_frames([wire])
        batch.unsettled.update(range(self.tag + 1, self.tag + 1 + len(batch.messages)))
        self.tag += len(batch.messages)

    def _confirmed(self, frame: pika.frame.Method) -> None:
        method = frame.method
        nacked = isinstance(method, pika.spec.Basic.Nack)
        for batch in self.inflight:
            covered = method.delivery_tag in batch.unsettled or (
                method.multiple and batch.unsettled and min(batch.unsettled) <= method.delivery_tag
            )
            if covered and nacked:
                batch.fail("the broker refused (nacked) a message")
            batch.settle(method.delivery_tag, method.multiple)
        self.inflight = [b for b in self.inflight if not b.done.is_set()]

    def _returned(
        self, _channel: object, method: pika.spec.Basic.Return, _properties: object, _body: bytes
    ) -> None:
        # A return comes before the message's ack; which batch it belongs to is not told,
        # so every batch still waiting fails and is sent again.
        for batch in self.inflight:
            batch.fail(f"unroutable to {method.routing_key!r}: {method.reply_text}")

    def _channel_closed(self, _channel: object, reason: Exception) -> None:
        if self.connection.is_open:
            self.connection.close()
        self._lost(self.connection, reason)

    def _lost(self, _connection: object, reason: Exception | str) -> None:
        self.closed = str(reason) or type(reason).__name__
        self.ready.set()
        for batch in self.inflight:
            batch.fail(f"connection lost: {self.closed}")
        self.inflight = []
        if self.connection.is_closed:
            self.connection.ioloop.stop()

    def _close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
        elif self.connection.is_closed:
            self.connection.ioloop.stop()


class BatchPublisher:
    """Publishes batches with publisher confirms over one connection, opened on first use.

    Parameters:
      url: RabbitMQ's URL (``BROKER_URL``), or pika's connection parameters.
      exchanges: topic exchanges to declare (durable) on every new connection.
      declare_queue: called with each service queue a batch routes to, before it is sent
        (dramatiq's ``broker.declare_queue(name, ensure=True)``, which remembers them).
      timeout: longest a batch waits for its confirms.
    """

    def __init__(
        self,
        url: str | pika.ConnectionParameters,
        *,
        exchanges: Sequence[str] = (),
        declare_queue: Callable[[str], None] | None = None,
        timeout: float = CONFIRM_TIMEOUT,
    ):
        self.params = pika.URLParameters(url) if isinstance(url, str) else url
        self.exchanges = tuple(exchanges)
        self.declare_queue = declare_queue
        self.timeout = timeout
        self._link: _Link | None = None
        self._lock = threading.Lock()

    def send(self, messages: Sequence[Outgoing]) -> None:
        """Publish ``messages`` and return once the broker has confirmed every one.

        Raises:
          NotConfirmed: as :meth:`Pending.wait`.
        """
        self.submit(messages).wait()

    def submit(self, messages: Sequence[Outgoing]) -> Pending:
        """Start publishing ``messages``; the next batch may be submitted before this one is
        confirmed, so the broker's disk write of one overlaps the building of the next.

        Raises:
          NotConfirmed: the broker cannot be reached.
        """
        if self.declare_queue is not None:
            for queue in {m.queue for m in messages if m.queue}:
                self.declare_queue(queue)
        batch = Pending(messages, self.timeout)
        if not messages:
            batch.done.set()
            return batch
        with self._lock:
            batch.link = self._connected()
            batch.link.submit(batch)
        return batch

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connected(self) -> _Link:
        if self._link is not None and self._link.closed:
            self._drop()  # lost since the last batch: its batches have failed already
        if self._link is None:
            self._link = _Link(self.params, self.exchanges)
        if not self._link.ready.wait(self.timeout) or self._link.closed:
            reason = self._link.closed or "timed out"
            self._drop()
            raise NotConfirmed(f"cannot connect to the broker: {reason}")
        return self._link

    def _drop(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
