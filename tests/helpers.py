"""Waiting and reading helpers for tests of asynchronous behaviour."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pika
from dramatiq.common import dq_name, xq_name

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
    received = []
    while True:
        method, props, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            return received
        received.append((method, props, json.loads(body)))


def clean_broker(broker_url: str, *, purge: bool = False) -> None:
    """Empty the services' queues, delayed and dead-letter queues included, so messages an
    earlier test left (a retry waiting in a delay queue) never reach the next one.

    ``purge`` keeps the queues (a consumer in this process may be attached) and drops only
    their messages; otherwise they are deleted.
    """
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    for queue in (CRM, SCHEDULER, NOTIFIER):
        for name in (queue, dq_name(queue), xq_name(queue)):
            if not purge:
                channel.queue_delete(name)
                continue
            try:
                channel.queue_purge(name)
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing in it
                channel = connection.channel()
    connection.close()
