"""The one way a service consumes a message: validate, dedupe, apply, commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared import logs
from shared.batch_messages import items_in
from shared.containment import describe, never_succeeds
from shared.contracts import consumer_actor, parse
from shared.db import InboxColumns, first_deliveries, first_delivery, transaction
from shared.deadletter import checked, reject
from shared.group_commit import Batch, GroupCommit
from shared.messages import Message, as_message

log = logging.getLogger(__name__)

# handler(session, envelope, message): the typed message of the version that arrived.
# What a handler returns is not used (a command's handler may return what it made).
Handler = Callable[[Session, dict[str, Any], Message], object]
# many(session, messages): the typed messages of one type, each delivered for the first time,
# applied together as their handler would apply them one by one (shared/group_commit.py).
BatchHandler = Callable[[Session, list[Any]], object]


def consume(
    message: Any,
    handlers: dict[str, Handler],
    sessions: sessionmaker[Session],
    inbox: type[InboxColumns],
    permanent: tuple[type[Exception], ...] = (),
    group: GroupCommit | None = None,
    batches: dict[str, BatchHandler] | None = None,
) -> None:
    """Apply a received envelope exactly once.

    The handler's effect and the message id enter the service's inbox in one
    transaction, so a redelivered message changes nothing.

    Parameters:
      message: the envelope as received (already checked by ContractValidation).
      handlers: message type -> ``handler(session, envelope, message)``, where ``message``
        is the typed message (``shared.messages``) of the version that arrived.
      sessions: the service's session factory.
      inbox: the service's ``InboxMessage`` class.
      permanent: errors that retrying cannot fix; the message is dead-lettered with
        the error as its reason instead of being retried. Errors of the data itself
        (:func:`shared.containment.never_succeeds`) are always dead-lettered at once.
      group: when given, the transaction is shared with the messages the worker's other
        threads hold (:mod:`shared.group_commit`); the outcome is this message's alone.
      batches: message type -> the batch form of its handler, which the group applies to
        the messages of that type it holds, when it commits them as a whole.
    """
    env, data = checked(message) or parse(message)
    token = logs.correlation_id.set(str(env["message_id"]))
    try:
        handler = handlers.get(env["type"])
        if handler is None:
            reject(f"type: {env['type']} is not handled by this service")
            return
        typed = as_message(env, data)

        def apply(session: Session) -> None:
            if first_delivery(session, inbox, env["message_id"]):
                handler(session, env, typed)
            else:
                log.info("duplicate ignored", extra={"type": env["type"]})

        try:
            if group is None:
                with transaction(sessions) as session:
                    apply(session)
            else:
                many = (batches or {}).get(env["type"])
                group.run(apply, _batch(many, inbox, env, typed) if many else None)
        except permanent as exc:
            reject(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            # A value the database refuses, a broken contract: every retry would fail alike.
            if not never_succeeds(exc):
                raise
            reject(describe(exc))
    finally:
        logs.correlation_id.reset(token)


def _batch(
    many: BatchHandler, inbox: type[InboxColumns], env: dict[str, Any], typed: Message
) -> Batch:
    return Batch(env["type"], (env, typed), partial(_apply_many, many, inbox), size=items_in(typed))


def _apply_many(
    many: BatchHandler,
    inbox: type[InboxColumns],
    session: Session,
    items: list[tuple[dict[str, Any], Message]],
) -> None:
    """The inbox entries of a group of messages, then the batch handler for the first
    deliveries among them: a message redelivered, or twice in the group, changes nothing."""
    first = first_deliveries(session, inbox, [env["message_id"] for env, _ in items])
    fresh = []
    for env, typed in items:
        message_id = uuid.UUID(str(env["message_id"]))
        if message_id in first:
            first.discard(message_id)
            fresh.append(typed)
        else:
            token = logs.correlation_id.set(str(env["message_id"]))
            log.info("duplicate ignored", extra={"type": env["type"]})
            logs.correlation_id.reset(token)
    if fresh:
        many(session, fresh)


# Transient failures (a database restart, a directory entry still on its way) are retried
# soon at first and then at most every 30 s, for about a quarter of an hour before the
# message is dead-lettered; dramatiq's default backoff would reach days.
RETRIES = {"max_retries": 30, "min_backoff": 250, "max_backoff": 30_000}


def actor_options(queue: str) -> dict[str, Any]:
    """Options of a service's one consumer actor: its name, queue, contract check and retries."""
    return {"actor_name": consumer_actor(queue), "queue_name": queue, "envelope": True, **RETRIES}
