"""Fixtures shared by every test layer: a database and a RabbitMQ vhost of this run's own.

The tests connect as the run's application role, with the rights the services have in
production (rows only); what only the schemas' owner may do (emptying the tables between
tests) goes through ``owner_engine``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import pytest

from shared import config
from shared.db import make_engine, make_session_factory
from tests.sandbox import empty_service_tables, sandbox

SINK_HOST = "127.0.0.1"


@pytest.fixture(scope="session")
def settings() -> Iterator[config.Settings]:
    """Settings pointing at this run's own database and vhost, both dropped after the run."""
    # The local webhook sinks listen on 127.0.0.1: the one host the tests allow inside.
    with sandbox(
        durable=False, relay_poll_seconds=0.1, webhook_allowed_hosts=SINK_HOST
    ) as test_settings:
        os.environ.update(
            DATABASE_URL=test_settings.database_url,
            MIGRATION_DATABASE_URL=test_settings.migration_database_url,
            BROKER_URL=test_settings.broker_url,
            WEBHOOK_ALLOWED_HOSTS=SINK_HOST,
        )
        yield test_settings


@pytest.fixture(scope="session")
def engine(settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def owner_engine(settings):
    """The schemas' owner, for what the services' role may not do."""
    engine = make_engine(settings.migration_database_url, pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture()
def clean_db(owner_engine):
    """Every service schema emptied, reference books back to their defaults."""
    empty_service_tables(owner_engine)
    yield


def without_heartbeat(broker_url: str) -> str:
    """``broker_url`` for the test process's own connections: AMQP heartbeats off.

    A blocking pika connection answers heartbeats only while the test calls into it; on a
    loaded machine a test busy elsewhere misses two of them and RabbitMQ resets the idle
    connection, failing every later test of the module. The services the e2e tests start
    read BROKER_URL unchanged and keep their heartbeats.
    """
    parts = urlsplit(broker_url)
    query = "&".join(filter(None, (parts.query, "heartbeat=0")))
    return urlunsplit(parts._replace(query=query))


@pytest.fixture(scope="session")
def broker(settings):
    """The RabbitMQ broker on the run's vhost, installed before any actors module is imported."""
    from shared.broker import set_broker

    broker = set_broker(replace(settings, broker_url=without_heartbeat(settings.broker_url)))
    yield broker
    broker.close()


@pytest.fixture()
def amqp(settings):
    """A plain pika channel on the run's vhost, as another system would open one."""
    import pika

    params = pika.URLParameters(without_heartbeat(settings.broker_url))
    connection = pika.BlockingConnection(params)
    yield connection.channel()
    connection.close()
