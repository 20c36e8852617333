"""Fixtures shared by every test layer: a database and a RabbitMQ vhost of this run's own."""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import make_url, text

from shared import config
from shared.db import make_engine, make_session_factory
from shared.migrations import create_database, upgrade_all

RUN_ID = uuid.uuid4().hex[:8]


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def settings() -> config.Settings:
    """Settings pointing at a fresh database and vhost, both dropped after the run."""
    base = config.load()
    db_url = make_url(base.database_url).set(database=f"crm_test_{RUN_ID}")
    database_url = db_url.render_as_string(hide_password=False)
    vhost = f"crm_test_{RUN_ID}"
    broker = make_url(base.broker_url.replace("amqp://", "postgresql://", 1))
    broker_url = (
        f"amqp://{broker.username}:{broker.password}@{broker.host}:{broker.port or 5672}/{vhost}"
    )
    create_database(database_url)
    upgrade_all(database_url)
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, broker.username or "guest", ".*", ".*", ".*")
    test_settings = replace(
        base, database_url=database_url, broker_url=broker_url, relay_poll_seconds=0.1
    )
    os.environ.update(DATABASE_URL=database_url, BROKER_URL=broker_url)
    yield test_settings
    _rabbitmqctl("delete_vhost", vhost)
    server = make_engine(db_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_url.database}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def engine(settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture()
def clean_db(engine):
    """Every service schema emptied, reference books back to their defaults."""
    from services.crm.seeds import DEFAULT_STATUSES

    with engine.begin() as conn:
        tables = conn.scalars(
            text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname IN ('crm','scheduler','notifier') AND tablename <> 'alembic_version'"
            )
        ).all()
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text(
                "INSERT INTO crm.interaction_statuses (name, sort_order, generate_calls, "
                "call_interval_days) VALUES (:name, :sort_order, :generate_calls, :call_interval_days)"
            ),
            list(DEFAULT_STATUSES),
        )
    yield
