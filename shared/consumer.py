"""The one way a service consumes a message: validate, dedupe, apply, commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared import logs
from shared.containment import describe, never_succeeds
from shared.contracts import consumer_actor, parse
from shared.db import InboxColumns, first_delivery, transaction
from shared.deadletter import checked, reject
from shared.group_commit import GroupCommit
from shared.messages import Message, as_message

log = logging.getLogger(__name__)

# handler(session, envelope, message): the typed message of the version that arrived.
# What a handler returns is not used (a command's handler may return what it made).
Handler = Callable[[Session, dict[str, Any], Message], object]


def consume(
    message: Any,
    handlers: dict[str, Handler],
    sessions: sessionmaker[Session],
    inbox: type[InboxColumns],
    permanent: tuple[type[Exception], ...] = (),
    group: GroupCommit | None = None,
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
                group.run(apply)
        except permanent as exc:
            reject(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            # A value the database refuses, a broken contract: every retry would fail alike.
            if not never_succeeds(exc):
                raise
            reject(describe(exc))
    finally:
        logs.correlation_id.reset(token)


# Transient failures (a database restart, a directory entry still on its way) are retried
# soon at first and then at most every 30 s, for about a quarter of an hour before the
# message is dead-lettered; dramatiq's default backoff would reach days.
RETRIES = {"max_retries": 30, "min_backoff": 250, "max_backoff": 30_000}


def actor_options(queue: str) -> dict[str, Any]:
    """Options of a service's one consumer actor: its name, queue, contract check and retries."""
    return {"actor_name": consumer_actor(queue), "queue_name": queue, "envelope": True, **RETRIES}
