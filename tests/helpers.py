"""Waiting and reading helpers for tests of asynchronous behaviour."""

from __future__ import annotations

import importlib
import json
import threading
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


def consumed_in_one_group(
    sessions, inbox, handlers: dict[str, Any], batches: dict[str, Any], messages: list[dict]
) -> dict[str, BaseException]:
    """Consume ``messages`` on threads that share one group commit, as a worker's threads do
    (shared/group_commit.py): the first alone, held until all the others wait behind it, and
    the others then together (the first must be a first delivery, whose work runs). Returns
    what each message raised, by message id."""
    from shared.consumer import consume
    from shared.group_commit import GroupCommit

    group = GroupCommit(sessions)
    first, *others = messages
    leading = threading.Event()

    def held(apply):
        def wait_then(*args):
            leading.set()
            eventually(lambda: group.waiting() >= len(others))
            return apply(*args)

        return wait_then

    errors: dict[str, BaseException] = {}

    def deliver(message: dict, handlers: dict[str, Any], batches: dict[str, Any]) -> None:
        try:
            consume(message, handlers, sessions, inbox, group=group, batches=batches)
        except Exception as exc:
            errors[message["message_id"]] = exc

    if not others:
        deliver(first, handlers, batches)
        return errors
    hold = ({t: held(h) for t, h in handlers.items()}, {t: held(b) for t, b in batches.items()})
    threads = [threading.Thread(target=deliver, args=(first, *hold))]
    threads[0].start()
    eventually(leading.is_set)
    threads += [threading.Thread(target=deliver, args=(m, handlers, batches)) for m in others]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
