"""A throw-away database, application role and RabbitMQ vhost, for a test run or a benchmark."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import make_url, text

from shared import config
from shared.db import make_engine
from shared.migrations import upgrade_all


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def sandbox(prefix: str = "crm_test", **overrides) -> Iterator[config.Settings]:
    """Settings on a fresh, migrated database and an empty vhost; all dropped on exit.

    Migrations run as the configured owner (``MIGRATION_DATABASE_URL``); the settings'
    ``database_url`` is a role of this run's own that may only read and write rows, as the
    services' role in production, so the tests run with the rights the services really have.
    """
    base = config.load()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    owner_url = make_url(base.migration_database_url).set(database=name)
    app_url = owner_url.set(username=f"{name}_app", password=None)
    broker = make_url(base.broker_url.replace("amqp://", "postgresql://", 1))
    settings = replace(
        base,
        database_url=app_url.render_as_string(hide_password=False),
        migration_database_url=owner_url.render_as_string(hide_password=False),
        broker_url=f"amqp://{broker.username}:{broker.password}@{broker.host}:{broker.port or 5672}/{name}",
        **overrides,
    )
    upgrade_all(settings.migration_database_url, settings.database_url)
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, broker.username or "guest", ".*", ".*", ".*")
    try:
        yield settings
    finally:
        _rabbitmqctl("delete_vhost", name)
        server = make_engine(owner_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}_app"'))
        server.dispose()
