"""Fixtures shared by every test layer: a database and a RabbitMQ vhost of this run's own."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from shared import config
from shared.db import make_engine, make_session_factory
from tests.sandbox import sandbox


@pytest.fixture(scope="session")
def settings() -> config.Settings:
    """Settings pointing at this run's own database and vhost, both dropped after the run."""
    with sandbox(relay_poll_seconds=0.1) as test_settings:
        os.environ.update(
            DATABASE_URL=test_settings.database_url, BROKER_URL=test_settings.broker_url
        )
        yield test_settings


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
    from services.crm.seeds import DEFAULT_STATUSES, DEFAULT_STRATEGIES

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
        conn.execute(
            text(
                "INSERT INTO crm.relationship_strategies (abc_class, title, description) "
                "VALUES (:abc_class, :title, :description)"
            ),
            list(DEFAULT_STRATEGIES),
        )
    yield


@pytest.fixture(scope="session")
def broker(settings):
    """The RabbitMQ broker on the run's vhost, installed before any actors module is imported."""
    from shared.broker import set_broker

    broker = set_broker(settings)
    yield broker
    broker.close()


@pytest.fixture()
def amqp(settings):
    """A plain pika channel on the run's vhost, as another system would open one."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    yield connection.channel()
    connection.close()
