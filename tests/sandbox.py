"""A throw-away database, application role and RabbitMQ vhost, for a test run or a benchmark."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache

from sqlalchemy import Engine, make_url, text

from shared import config
from shared.db import make_engine
from shared.migrations import upgrade_all


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def sandbox(
    prefix: str = "crm_test", *, durable: bool = True, **overrides
) -> Iterator[config.Settings]:
    """Settings on a fresh, migrated database and an empty vhost; all dropped on exit.

    Migrations run as the configured owner (``MIGRATION_DATABASE_URL``); the settings'
    ``database_url`` is a role of this run's own that may only read and write rows, as the
    services' role in production, so the tests run with the rights the services really have.
    ``durable=False`` (the tests' own databases) lets a commit return before its WAL reaches
    the disk: nothing a test sees changes, but a commit no longer waits for a flush, and a
    test commits dozens of times. Benchmarks keep the production default.
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
    server = make_engine(owner_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    if not durable:
        with server.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, broker.username or "guest", ".*", ".*", ".*")
    try:
        yield settings
    finally:
        _rabbitmqctl("delete_vhost", name)
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}_app"'))
        server.dispose()


SCHEMAS = "('crm', 'scheduler', 'notifier')"


@cache
def _filled_tables_query(tables: tuple[str, ...]) -> str:
    return " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT FROM {t})" for t in tables)


def filled_tables(conn) -> list[str]:
    """Every service table that holds a row."""
    tables = conn.scalars(
        text(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            f"WHERE schemaname IN {SCHEMAS} AND tablename <> 'alembic_version' ORDER BY 1"
        )
    ).all()
    return conn.scalars(text(_filled_tables_query(tuple(tables)))).all()


def empty_service_tables(owner_engine: Engine) -> None:
    """Every service schema emptied, reference books back to their defaults (between tests)."""
    from services.crm.seeds import DEFAULT_STATUSES, DEFAULT_STRATEGIES, REFUSAL_STATUS

    with owner_engine.begin() as conn:
        # Only the tables holding rows (a test fills a few of the dozens), by DELETE: TRUNCATE
        # gives every table it empties a new file, and CASCADE from the employees reaches
        # nearly all of them, about a second a test. The foreign keys' triggers are off
        # meanwhile, so no order is needed; then every sequence a test drew from restarts.
        filled = filled_tables(conn)
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in filled:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, "
                "start_value, false) FROM pg_sequences "
                f"WHERE schemaname IN {SCHEMAS} AND last_value IS NOT NULL"
            )
        )
        conn.execute(
            text(
                "INSERT INTO crm.interaction_statuses (name, sort_order, generate_calls, "
                "call_interval_days) VALUES (:name, :sort_order, :generate_calls, :call_interval_days)"
            ),
            list(DEFAULT_STATUSES),
        )
        conn.execute(
            text("UPDATE crm.interaction_statuses SET is_refusal = true WHERE name = :name"),
            {"name": REFUSAL_STATUS},
        )
        conn.execute(
            text(
                "INSERT INTO crm.relationship_strategies (abc_class, title, description) "
                "VALUES (:abc_class, :title, :description)"
            ),
            list(DEFAULT_STRATEGIES),
        )
