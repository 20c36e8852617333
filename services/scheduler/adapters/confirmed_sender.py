"""Sending the messages of claimed rows in chunks, confirmed by the broker as a whole.

The emitters claim rows, hand them here with the function that builds a chunk's messages,
and mark exactly the rows returned, committing only once the broker confirmed every one of
their messages. Each chunk is handed to the publisher's I/O thread as soon as it is built,
so the broker writes one while the next is built (the publisher writes a chunk with one
socket write, so the two threads hardly contend for the GIL). Building stops when the time
budget is spent; the rows left over stay claimed only until the emitter's commit, and the
next batch takes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from shared.batch_publisher import BatchPublisher, Outgoing, Pending

T = TypeVar("T")
# Rows whose messages go to the broker together: enough that its disk write is shared by
# many messages, few enough that it starts writing early and the budget is checked often.
CHUNK = 50


class Submitted(Generic[T]):
    """The rows whose messages are with the broker, and their confirms to wait for."""

    def __init__(self, items: Sequence[T], pending: list[Pending]):
        self.items = items
        self.pending = pending

    def wait(self) -> None:
        """Return once the broker confirmed every message of :attr:`items`.

        Raises:
          NotConfirmed: as :meth:`Pending.wait`; none of the rows may then be marked, and
          they are sent again under the same message ids.
        """
        for chunk in self.pending:
            chunk.wait()


class ConfirmedSender:
    """Publishes rows' messages over one :class:`BatchPublisher`."""

    def __init__(self, publisher: BatchPublisher, chunk: int = CHUNK):
        self.publisher = publisher
        self.chunk = chunk

    def submit(
        self,
        items: Sequence[T],
        messages_of: Callable[[Sequence[T]], list[Outgoing]],
        budget: float,
    ) -> Submitted[T]:
        """Build the messages of ``items`` chunk by chunk (``messages_of(chunk)``), handing each
        to the broker, for at most about ``budget`` seconds; returns the rows that went, to
        mark and wait for.

        Raises:
          NotConfirmed: the broker cannot be reached.
        """
        deadline = time.monotonic() + budget
        pending = []
        for start in range(0, len(items), self.chunk):
            chunk = items[start : start + self.chunk]
            pending.append(self.publisher.submit(messages_of(chunk)))
            if time.monotonic() > deadline:
                items = items[: start + self.chunk]
                break
        return Submitted(items, pending)

    def close(self) -> None:
        self.publisher.close()
