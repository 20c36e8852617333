"""Sending the messages of claimed rows in batches, each confirmed by the broker as a whole.

The emitters claim rows, hand them here with the function that builds each row's messages,
and mark exactly the rows returned: those whose every message the broker confirmed. The
rows go out in chunks, each built while the broker writes the one before, until the time
budget is spent; what is left stays claimed only until the emitter's commit, and the next
batch takes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.batch_publisher import BatchPublisher, Outgoing

T = TypeVar("T")
# Rows whose messages go out as one confirmed batch: enough that the broker's disk write is
# shared by many messages, few enough to check the budget often.
CHUNK = 50


class ConfirmedSender:
    """Publishes rows' messages over one :class:`BatchPublisher`."""

    def __init__(self, publisher: BatchPublisher, chunk: int = CHUNK):
        self.publisher = publisher
        self.chunk = chunk

    def publish(
        self, items: Sequence[T], messages_of: Callable[[T], list[Outgoing]], budget: float
    ) -> list[T]:
        """Send the messages of ``items``; returns the items confirmed within ``budget``.

        Raises:
          NotConfirmed: a chunk was not confirmed; nothing of the batch may then be marked
          (the chunks confirmed before it are sent again with the rest, under their ids).
        """
        deadline = time.monotonic() + budget
        submitted = []
        for start in range(0, len(items), self.chunk):
            chunk = items[start : start + self.chunk]
            messages = [m for item in chunk for m in messages_of(item)]
            submitted.append((chunk, self.publisher.submit(messages)))
            if time.monotonic() > deadline:
                break
        confirmed: list[T] = []
        for chunk, pending in submitted:
            pending.wait()
            confirmed.extend(chunk)
        return confirmed

    def close(self) -> None:
        self.publisher.close()
