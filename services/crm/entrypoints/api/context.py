"""Per-request access to the database, the settings and the authenticated employee."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy.orm import Session

from services.crm.domain.roles import Actor
from shared.config import Settings
from shared.db import transaction


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one use case: committed when the block ends without error."""
    with transaction(current_app.extensions["crm.sessions"]) as session:
        yield session


def settings() -> Settings:
    """The settings the app was created with; handlers are given what they need of them."""
    return current_app.config["SETTINGS"]


def actor() -> Actor:
    """The employee whose bearer token authenticated this request."""
    return g.actor
