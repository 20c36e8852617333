"""Publishing a batch over several channels at once, so publisher confirms overlap.

A confirmed publish of a persistent message waits for RabbitMQ to write it to disk, about
a millisecond here; one channel therefore tops out near a thousand messages a second.
RabbitMQ writes the messages of concurrent channels together, so a few threads, each with
its own connection (dramatiq's broker keeps one per thread), multiply that rate while
every message is still confirmed before the batch is marked.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

import dramatiq

log = logging.getLogger(__name__)

T = TypeVar("T")
# An idle thread services its connection this often, so RabbitMQ's heartbeat check
# does not close it between bursts.
KEEPALIVE_SECONDS = 10.0


class PublisherPool:
    """A fixed set of publishing threads, each with its own broker connection."""

    def __init__(self, broker: dramatiq.Broker, threads: int = 4):
        self.broker = broker
        # Bumped when a publish fails: the broker may have closed every connection at once,
        # so each thread opens a fresh one before its next chunk instead of failing a batch.
        self._generation = 0
        self._tasks: queue.Queue = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"publisher-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def publish(
        self, items: Sequence[T], publish_one: Callable[[T], None], budget: float
    ) -> list[T]:
        """Publish ``items`` across the threads; returns those confirmed within ``budget``.

        Each thread stops taking items once the budget is spent, so the caller marks only
        what was confirmed and leaves the rest for its next batch.

        Raises:
          the first error a thread met, after every thread has finished; nothing of the
          batch may then be marked.
        """
        if not items:
            return []
        deadline = time.monotonic() + budget
        chunks = [list(items[n :: len(self._threads)]) for n in range(len(self._threads))]
        futures = []
        for chunk in filter(None, chunks):
            future: Future[list[T]] = Future()
            self._tasks.put((chunk, publish_one, deadline, future))
            futures.append(future)
        published: list[T] = []
        error: BaseException | None = None
        for future in futures:
            try:
                published.extend(future.result())
            except Exception as exc:  # re-raised below, once no thread is still publishing
                error = error or exc
        if error is not None:
            raise error
        return published

    def close(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def _work(self) -> None:
        generation = self._generation
        while True:
            try:
                task = self._tasks.get(timeout=KEEPALIVE_SECONDS)
            except queue.Empty:
                self._keepalive()
                continue
            if task is None:
                self._disconnect()
                return
            chunk, publish_one, deadline, future = task
            if generation != self._generation:
                generation = self._generation
                self._disconnect()
            done = []
            try:
                for item in chunk:
                    publish_one(item)
                    done.append(item)
                    if time.monotonic() > deadline:
                        break
            except Exception as exc:  # handed to the batch's caller through the future
                self._generation = generation = self._generation + 1
                self._disconnect()
                future.set_exception(exc)
            else:
                future.set_result(done)

    def _keepalive(self) -> None:
        try:
            self.broker.connection.process_data_events(time_limit=0)
        except Exception as exc:  # a dead connection is replaced on the next publish
            log.info("publisher connection reset", extra={"error": str(exc)})
            self._disconnect()

    def _disconnect(self) -> None:
        """Drop this thread's connection; the next use opens a fresh one."""
        try:
            del self.broker.connection
        except Exception as exc:  # already closed underneath us
            log.debug("closing publisher connection failed", extra={"error": str(exc)})
