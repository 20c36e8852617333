"""Sending the messages of claimed rows as one batch, confirmed by the broker as a whole.

The emitters claim rows, hand them here with the function that builds each row's messages,
and mark exactly the rows of the batch, committing only once the broker confirmed every one
of its messages. The messages are all built first, then handed to the publisher's I/O
thread at once: building them while that thread sends the ones before made both threads
fight for the GIL on every socket write (a wait of up to 5 ms each), which cost more than
the overlap won. Building stops when the time budget is spent; the rows left over stay
claimed only until the emitter's commit, and the next batch takes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from shared.batch_publisher import BatchPublisher, Outgoing, Pending

T = TypeVar("T")
# Rows built between two looks at the clock.
CHUNK = 50


class Submitted(Generic[T]):
    """The rows whose messages are with the broker, and their confirms to wait for."""

    def __init__(self, items: Sequence[T], pending: Pending):
        self.items = items
        self.pending = pending

    def wait(self) -> None:
        """Return once the broker confirmed every message of :attr:`items`.

        Raises:
          NotConfirmed: as :meth:`Pending.wait`; none of the rows may then be marked, and
          they are sent again under the same message ids.
        """
        self.pending.wait()


class ConfirmedSender:
    """Publishes rows' messages over one :class:`BatchPublisher`."""

    def __init__(self, publisher: BatchPublisher, chunk: int = CHUNK):
        self.publisher = publisher
        self.chunk = chunk

    def submit(
        self, items: Sequence[T], messages_of: Callable[[T], list[Outgoing]], budget: float
    ) -> Submitted[T]:
        """Build the messages of ``items`` for at most about ``budget`` seconds and hand
        them to the broker as one batch; returns the rows that went, to mark and wait for.

        Raises:
          NotConfirmed: the broker cannot be reached.
        """
        deadline = time.monotonic() + budget
        messages: list[Outgoing] = []
        for start in range(0, len(items), self.chunk):
            for item in items[start : start + self.chunk]:
                messages.extend(messages_of(item))
            if time.monotonic() > deadline:
                items = items[: start + self.chunk]
                break
        return Submitted(items, self.publisher.submit(messages))

    def close(self) -> None:
        self.publisher.close()
