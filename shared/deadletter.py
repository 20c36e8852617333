"""Dead-lettering of messages that break their contract, with the reason attached."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

import dramatiq
import pika
from dramatiq.broker import MessageProxy
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.common import xq_name
from dramatiq.middleware import CurrentMessage, Middleware, SkipMessage

from shared.containment import lazy_metrics
from shared.contracts import ContractError, parse

log = logging.getLogger(__name__)

REASON_HEADER = "x-dead-letter-reason"


# The envelope this worker thread checked last, kept so the actor does not parse it again.
_checked = threading.local()


def checked(message: object) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The parsed (envelope, data) of ``message`` if this thread's middleware just checked it."""
    last = getattr(_checked, "envelope", None)
    if last is not None and last[0] is message:
        return last[1], last[2]
    return None


class ContractValidation(Middleware):
    """Checks the envelope of actors declared with ``envelope=True`` before they run.

    A message that fails is copied to the queue's dead-letter queue (``<queue>.XQ``)
    with the reason in its options and a header, then acknowledged, so the worker goes
    on with the next message and an operator can read why it was refused.
    """

    @property
    def actor_options(self) -> set[str]:
        return {"envelope"}

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        actor = broker.get_actor(message.actor_name)
        if not actor.options.get("envelope"):
            return
        try:
            if len(message.args) != 1 or message.kwargs:
                raise ContractError("args: expected exactly one envelope argument")
            _checked.envelope = (message.args[0], *parse(message.args[0]))
        except ContractError as exc:
            dead_letter(broker, message, exc.reason)
            raise SkipMessage(exc.reason) from None


def dead_letter(broker: dramatiq.Broker, message: MessageProxy, reason: str) -> None:
    """Publish a copy of ``message`` to its dead-letter queue with ``reason`` attached."""
    copy = message.copy(options={**message.options, "dead_letter_reason": reason})
    queue = xq_name(message.queue_name)
    log.warning(
        "message dead-lettered",
        extra={"message_id": message.message_id, "queue": queue, "reason": reason},
    )
    lazy_metrics().count_dead_letter(queue)
    if not isinstance(broker, RabbitmqBroker):
        message.fail()  # the stub broker keeps failed messages in its own dead-letter list
        return
    broker.channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=copy.encode(),
        properties=pika.BasicProperties(delivery_mode=2, headers={REASON_HEADER: reason}),
    )


def reject(reason: str) -> None:
    """Dead-letter the message being processed with ``reason``; the worker then acks it.

    For messages that are well-formed but can never succeed (an unknown subject id):
    retrying would not help, and the operator needs to read why.
    """
    message = CurrentMessage.get_current_message()
    if message is None:
        raise RuntimeError("reject() called outside of a message")
    # The worker's MessageProxy, which CurrentMessage types as the Message it wraps.
    dead_letter(dramatiq.get_broker(), cast(MessageProxy, message), reason)
