"""Per-request access to the database, the settings and the authenticated employee."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from services.crm.domain.roles import Actor
from shared.config import Settings
from shared.db import transaction

log = logging.getLogger(__name__)

# Where the transaction a bearer token was checked in waits for the request's first unit of
# work (services/crm/entrypoints/api/auth.py).
_OPENED = "crm_opened_transaction"


def open_for_request() -> Session:
    """Begin the transaction the request's first :func:`unit_of_work` will continue.

    The token check and the use case then share one connection checkout and one
    BEGIN/COMMIT: on a short write that is a quarter of its round trips to the database.
    :func:`close_unused` ends it if no unit of work took it over.
    """
    stack = ExitStack()
    session = stack.enter_context(transaction(current_app.extensions["crm.sessions"]))
    setattr(g, _OPENED, (stack, session))
    return session


def close_unused() -> None:
    """Roll back the transaction :func:`open_for_request` began if no unit of work took it
    over (a refused token, an invalid request, a view that reads no database)."""
    opened = g.pop(_OPENED, None)
    if opened is None:
        return
    stack, session = opened
    try:
        with stack:
            session.rollback()
    except SQLAlchemyError as exc:
        # The answer is decided already; the pool replaces a connection that failed here.
        log.warning("unused transaction not rolled back", extra={"error": str(exc)})


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one use case: committed when the block ends without error."""
    opened = g.pop(_OPENED, None)
    if opened is None:
        with transaction(current_app.extensions["crm.sessions"]) as session:
            yield session
        return
    stack, session = opened
    with stack:  # the opened transaction's own exit: commit, or roll back on an error
        yield session


def settings() -> Settings:
    """The settings the app was created with; handlers are given what they need of them."""
    return current_app.config["SETTINGS"]


def actor() -> Actor:
    """The employee whose bearer token authenticated this request."""
    return g.actor
