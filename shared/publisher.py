"""Publishing an envelope: to the integration exchange and to the queues that subscribe."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import dramatiq
import pika

from shared.batch_publisher import Outgoing
from shared.contracts import consumer_actor, contract_for

# Namespace of deterministic message ids (uuid5), so a re-sent effect keeps its id.
MESSAGE_NAMESPACE = uuid.UUID("6f1d4c1e-2b7a-4a57-9a51-4f3f0c5e2d10")


# What dramatiq sets on the messages it enqueues: persistent, no priority.
_PERSISTENT = pika.BasicProperties(delivery_mode=2)


def derived_id(*parts: object) -> uuid.UUID:
    """A message id that is the same every time it is computed from the same parts.

    Parameters:
      parts: the natural key of the effect (e.g. plan id and due time).
    """
    return uuid.uuid5(MESSAGE_NAMESPACE, "/".join(map(str, parts)))


def _dramatiq_message(queue: str, env: dict[str, Any]) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=queue,
        actor_name=consumer_actor(queue),
        args=(env,),
        kwargs={},
        options={},
        message_id=env["message_id"],
    )


def to_queue(broker: dramatiq.Broker, queue: str, env: dict[str, Any]) -> None:
    """Enqueue an envelope for the actor consuming ``queue``, keeping its message id."""
    broker.enqueue(_dramatiq_message(queue, env))


def queued(queue: str, env: dict[str, Any]) -> Outgoing:
    """An envelope for the actor consuming ``queue``, as dramatiq would enqueue it.

    Parameters:
      queue: the service queue (declared as dramatiq declares it, before sending).
      env: a JSON-ready envelope; its message id becomes the dramatiq message id.
    """
    return Outgoing(
        exchange="",
        routing_key=queue,
        body=_dramatiq_message(queue, env).encode(),
        properties=_PERSISTENT,
        queue=queue,
    )


def to_exchange(exchange: str, aggregate: str, env: dict[str, Any]) -> Outgoing:
    """A domain event as plain JSON for the topic exchange, under ``<aggregate>.<event>``.

    Parameters:
      exchange: the topic exchange, ``crm.events``.
      aggregate: first part of the routing key (``lead``, ``call_plan``...).
      env: a JSON-ready envelope of a type whose contract names an event.
    """
    contract = contract_for(env["type"], env["version"])
    occurred = datetime.fromisoformat(env["occurred_at"])
    return Outgoing(
        exchange=exchange,
        routing_key=f"{aggregate}.{contract.event}",
        body=json.dumps(env).encode(),
        properties=pika.BasicProperties(
            content_type="application/json",
            delivery_mode=2,
            message_id=env["message_id"],
            type=env["type"],
            timestamp=int(occurred.timestamp()),
        ),
    )


def outgoing(exchange: str, aggregate: str, env: dict[str, Any]) -> list[Outgoing]:
    """The messages of an envelope, for a :class:`~shared.batch_publisher.BatchPublisher`:
    the event to the exchange (when the type is a domain event) and one to each subscriber.
    """
    contract = contract_for(env["type"], env["version"])
    messages = [to_exchange(exchange, aggregate, env)] if contract.event else []
    return messages + [queued(queue, env) for queue in contract.subscribers]
