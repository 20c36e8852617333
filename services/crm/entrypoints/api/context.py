"""Per-request access to the database and to the authenticated employee."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy.orm import Session

from services.crm.domain.roles import Actor
from shared.db import transaction


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one use case: committed when the block ends without error."""
    with transaction(current_app.extensions["crm.sessions"]) as session:
        yield session


def actor() -> Actor:
    """The employee whose bearer token authenticated this request."""
    return g.actor
