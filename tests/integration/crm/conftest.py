"""An in-process CRM API on the run's database, and clients authenticated by role."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from services.crm.adapters.orm import ApiToken
from services.crm.entrypoints.api.app import create_app
from shared.db import transaction, utcnow
from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _broker_first(broker):
    """Tests that apply a command import the worker's actors module, whose actors bind to the
    broker installed at import: the run's broker must be installed before, whatever the order."""


@pytest.fixture(scope="session")
def app(settings):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["crm.engine"].dispose()


class Client:
    """A test client that sends one employee's bearer token."""

    def __init__(self, app, employee_id: int | None, token: str | None):
        self.id = employee_id
        self._client = app.test_client()
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __getattr__(self, method):
        def call(url, **kwargs):
            headers = {**self._headers, **kwargs.pop("headers", {})}
            return getattr(self._client, method)(url, headers=headers, **kwargs)

        return call


@pytest.fixture()
def as_role(app, sessions, clean_db):
    """``as_role("manager", timezone=...)`` gives a client acting as a new employee of that role."""

    def make(role: str, **fields) -> Client:
        return Client(app, *factories.employee(sessions, role, **fields))

    return make


@pytest.fixture()
def admin(as_role):
    return as_role("admin")


@pytest.fixture()
def manager(as_role):
    return as_role("manager", timezone="Europe/Berlin")


@pytest.fixture()
def anonymous(app, clean_db):
    return Client(app, None, None)


@pytest.fixture()
def unauthenticated(app, sessions, clean_db) -> list[Client]:
    """Clients the API must answer with 401: no token, an unknown token, a revoked token."""
    employee_id, token = factories.employee(sessions, "admin")
    with transaction(sessions) as session:
        session.execute(
            update(ApiToken).where(ApiToken.employee_id == employee_id).values(revoked_at=utcnow())
        )
    return [Client(app, None, None), Client(app, None, "not-a-token"), Client(app, None, token)]
