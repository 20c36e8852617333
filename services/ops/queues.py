"""RabbitMQ as an operator sees it: queue depths, dead letters, and replaying them.

dramatiq gives each queue ``<queue>.DQ`` (delayed retries) and ``<queue>.XQ`` (dead letters:
retries exhausted, or refused by shared/deadletter.py with an ``x-dead-letter-reason``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dramatiq
import pika
from dramatiq.common import dq_name, xq_name

from shared.contracts import CRM, NOTIFIER, SCHEDULER
from shared.deadletter import REASON_HEADER

QUEUES = (CRM, SCHEDULER, NOTIFIER)
# Options a dead letter carries that a replayed message must not: it starts afresh.
SPENT_OPTIONS = ("dead_letter_reason", "retries", "traceback", "requeue_timestamp", "eta")


@dataclass(frozen=True)
class Depth:
    """Messages waiting in a service's queues; None where the queue does not exist yet."""

    queue: str
    ready: int | None
    consumers: int | None
    delayed: int | None
    dead: int | None


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    actor: str
    type: str | None
    reason: str
    message: dict[str, Any]


@contextmanager
def connection(url: str) -> Iterator[pika.BlockingConnection]:
    params = pika.URLParameters(url)
    params.socket_timeout = params.blocked_connection_timeout = 10
    conn = pika.BlockingConnection(params)
    try:
        yield conn
    finally:
        if conn.is_open:
            conn.close()


def _inspect(conn: pika.BlockingConnection, queue: str) -> tuple[int, int] | None:
    """(messages ready, consumers) of a queue, or None when it does not exist."""
    channel = conn.channel()
    try:
        ok = channel.queue_declare(queue=queue, passive=True).method
        return ok.message_count, ok.consumer_count
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return None
        raise
    finally:
        if channel.is_open:
            channel.close()


def depths(url: str, queues: tuple[str, ...] = QUEUES) -> list[Depth]:
    """Ready, delayed and dead messages and consumers of each queue (passive declares)."""
    result = []
    with connection(url) as conn:
        for queue in queues:
            main = _inspect(conn, queue)
            delayed = _inspect(conn, dq_name(queue))
            dead = _inspect(conn, xq_name(queue))
            result.append(
                Depth(
                    queue,
                    main and main[0],
                    main and main[1],
                    delayed and delayed[0],
                    dead and dead[0],
                )
            )
    return result


def dead_letters(url: str, queue: str, limit: int = 20) -> list[DeadLetter]:
    """The first ``limit`` dead letters of ``queue``; every one stays, in the same order."""
    seen: list[DeadLetter] = []
    with connection(url) as conn:
        present = _inspect(conn, xq_name(queue))
        if not present:
            return seen
        channel = _confirming(conn)
        # Each message is read and put back once, so the queue ends in the order it began.
        for _ in range(present[0]):
            method, props, body = channel.basic_get(queue=xq_name(queue), auto_ack=False)
            if method is None:
                break
            if len(seen) < limit:
                seen.append(_describe(props, body))
            _move(channel, xq_name(queue), method, props, body)
        channel.close()
    return seen


def replay(
    url: str, queue: str, limit: int | None = None, only: set[str] | None = None
) -> list[str]:
    """Move dead letters of ``queue`` back to it, keeping their message ids; returns those ids.

    Each one is republished with publisher confirms and only then acknowledged on the
    dead-letter queue, so a crash in between replays it twice, which consumers deduplicate.
    Only the messages present at the start are looked at: one that fails again and returns
    to the dead-letter queue meanwhile is not replayed in a loop.

    Parameters:
      url: the broker URL.
      queue: ``crm``, ``scheduler`` or ``notifier`` (the queue, not its ``.XQ``).
      limit: replay at most this many.
      only: replay only these message ids; the others stay dead-lettered.
    """
    replayed: list[str] = []
    with connection(url) as conn:
        present = _inspect(conn, xq_name(queue))
        if not present or _inspect(conn, queue) is None:
            return replayed
        channel = _confirming(conn)
        for _ in range(present[0]):
            if limit is not None and len(replayed) >= limit:
                break
            method, props, body = channel.basic_get(queue=xq_name(queue), auto_ack=False)
            if method is None:
                break
            message = dramatiq.Message.decode(body)
            if only is not None and message.message_id not in only:
                _move(channel, xq_name(queue), method, props, body)
                continue
            # Message.copy merges options, so the spent ones are dropped by replace.
            fresh = dataclasses.replace(
                message,
                queue_name=queue,
                options={k: v for k, v in message.options.items() if k not in SPENT_OPTIONS},
            )
            _move(channel, queue, method, pika.BasicProperties(delivery_mode=2), fresh.encode())
            replayed.append(message.message_id)
        channel.close()
    return replayed


def _confirming(conn: pika.BlockingConnection):
    channel = conn.channel()
    channel.confirm_delivery()
    return channel


def _move(channel, queue: str, method, props: pika.BasicProperties, body: bytes) -> None:
    """Publish ``body`` to ``queue`` with a confirm, then acknowledge the message read.

    Dead letters that stay are moved to the tail this way rather than returned: a quorum
    queue counts every return against its delivery limit (20 by default since RabbitMQ
    4.0) and drops the message past it, and a dead-letter queue has nowhere to send it.
    """
    channel.basic_publish(
        exchange="", routing_key=queue, body=body, properties=props, mandatory=True
    )
    channel.basic_ack(delivery_tag=method.delivery_tag)


def _describe(props: pika.BasicProperties, body: bytes) -> DeadLetter:
    message = json.loads(body)
    args = message.get("args") or [{}]
    envelope = args[0] if isinstance(args[0], dict) else {}
    return DeadLetter(
        message_id=message.get("message_id", "?"),
        actor=message.get("actor_name", "?"),
        type=envelope.get("type"),
        reason=_reason(props, message.get("options", {})),
        message=message,
    )


def _reason(props: pika.BasicProperties, options: dict[str, Any]) -> str:
    """Why the message is dead: the refusal's reason, or the last error before retries ran out."""
    headers = props.headers or {}
    if headers.get(REASON_HEADER):
        reason = headers[REASON_HEADER]
        return reason.decode() if isinstance(reason, bytes) else str(reason)
    if options.get("dead_letter_reason"):
        return str(options["dead_letter_reason"])
    if options.get("traceback"):
        lines = [line for line in str(options["traceback"]).splitlines() if line.strip()]
        return f"retries exhausted: {lines[-1]}" if lines else "retries exhausted"
    deaths = headers.get("x-death") or []
    if deaths:
        reason = deaths[0].get("reason", "rejected")
        return reason.decode() if isinstance(reason, bytes) else str(reason)
    return "unknown"
