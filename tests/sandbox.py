"""A throw-away database and RabbitMQ vhost, for a test run or a benchmark."""

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
    """Settings on a fresh, migrated database and an empty vhost; both dropped on exit."""
    base = config.load()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    db_url = make_url(base.database_url).set(database=name)
    broker = make_url(base.broker_url.replace("amqp://", "postgresql://", 1))
    settings = replace(
        base,
        database_url=db_url.render_as_string(hide_password=False),
        broker_url=f"amqp://{broker.username}:{broker.password}@{broker.host}:{broker.port or 5672}/{name}",
        **overrides,
    )
    upgrade_all(settings.database_url)
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, broker.username or "guest", ".*", ".*", ".*")
    try:
        yield settings
    finally:
        _rabbitmqctl("delete_vhost", name)
        server = make_engine(db_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
