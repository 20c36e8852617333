"""Waiting and reading helpers for tests of asynchronous behaviour."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import dramatiq

from shared.contracts import CRM, NOTIFIER, SCHEDULER

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        time.sleep(interval)


def bind_events(channel, exchange: str, routing_key: str = "#") -> str:
    """A private queue bound to the events exchange, as an integrating system would make."""
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange=exchange, routing_key=routing_key)
    return queue


def drain_queue(channel, queue: str) -> list[tuple[Any, Any, dict]]:
    """Everything waiting in ``queue`` now: (method, properties, decoded JSON body)."""
    received: list[tuple[Any, Any, dict]] = []
    while True:
        method, props, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            return received
        received.append((method, props, json.loads(body)))


# The module of each service whose import declares its consumer actor on the installed broker.
ACTORS = {
    CRM: "services.crm.entrypoints.actors",
    SCHEDULER: "services.scheduler.entrypoints.actors",
    NOTIFIER: "services.notifier.entrypoints.actors",
}


def clean_broker(broker) -> None:
    """Empty the services' queues, delayed and dead-letter queues included, so messages an
    earlier test left (a retry waiting in a delay queue) never reach the next one."""
    for queue in ACTORS:
        broker.flush(queue)


@contextmanager
def running_worker(broker, queue: str, threads: int = 1) -> Iterator[dramatiq.Worker]:
    """A dramatiq worker in this process consuming one service's queue, a message at a time
    unless given more ``threads``."""
    actors = importlib.import_module(ACTORS[queue])
    assert actors.handle_message.broker is broker
    broker.flush(queue)  # what an earlier test module left is not this one's
    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
