"""Publishing an envelope: to the integration exchange and to the queues that subscribe."""

from __future__ import annotations

import json
import uuid
import weakref
from datetime import datetime
from typing import Any

import dramatiq
import pika

from shared.batch_publisher import Outgoing
from shared.broker import declare_events_exchange
from shared.contracts import consumer_actor, contract_for

# Namespace of deterministic message ids (uuid5), so a re-sent effect keeps its id.
MESSAGE_NAMESPACE = uuid.UUID("6f1d4c1e-2b7a-4a57-9a51-4f3f0c5e2d10")


# What dramatiq sets on the messages it enqueues: persistent, no priority.
_PERSISTENT = pika.BasicProperties(delivery_mode=2)

# Exchanges declared on each channel; a new channel after a reconnect declares again.
_declared: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def derived_id(*parts: object) -> uuid.UUID:
    """A message id that is the same every time it is computed from the same parts.

    Parameters:
      parts: the natural key of the effect (e.g. plan id and due time).
    """
    return uuid.uuid5(MESSAGE_NAMESPACE, "/".join(map(str, parts)))


def _dramatiq_message(queue: str, env: dict[str, Any]) -> dramatiq.Message:
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
    contract = contract_for(env["type"])
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
    """Every message :func:`publish` sends for an envelope, for a :class:`BatchPublisher`:
    the event to the exchange (when the type is a domain event) and one to each subscriber.
    """
    contract = contract_for(env["type"])
    messages = [to_exchange(exchange, aggregate, env)] if contract.event else []
    return messages + [queued(queue, env) for queue in contract.subscribers]


def publish(broker: dramatiq.Broker, exchange: str, aggregate: str, env: dict[str, Any]) -> None:
    """Publish an envelope with publisher confirms: to ``exchange`` under
    ``<aggregate>.<event>`` when the type is a domain event, and to every subscribed queue.

    Parameters:
      broker: the RabbitMQ broker (its channel has confirms on).
      exchange: the topic exchange, ``crm.events``.
      aggregate: first part of the routing key (``lead``, ``call_plan``...).
      env: a JSON-ready envelope from :func:`shared.contracts.envelope`.

    Raises:
      pika.exceptions.AMQPError, dramatiq.errors.BrokerConnectionError: the broker did not
      confirm; the caller must not mark the message sent.
    """
    contract = contract_for(env["type"])
    if contract.event:
        channel = broker.channel
        declared = _declared.setdefault(channel, set())
        if exchange not in declared:
            # Once per channel: a declare is a round trip that would halve the publish rate.
            declare_events_exchange(channel, exchange)
            declared.add(exchange)
        message = to_exchange(exchange, aggregate, env)
        channel.basic_publish(
            exchange=exchange,
            routing_key=message.routing_key,
            body=message.body,
            properties=message.properties,
        )
    for queue in contract.subscribers:
        to_queue(broker, queue, env)
