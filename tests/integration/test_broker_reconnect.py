"""A broker connection RabbitMQ dropped is replaced by one helper, not by dramatiq's internals."""

from __future__ import annotations

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from shared.broker import reconnect
from tests.conftest import without_heartbeat


@pytest.fixture()
def rabbit(settings):
    broker = RabbitmqBroker(url=without_heartbeat(settings.broker_url))
    yield broker
    broker.close()


def test_after_a_lost_connection_reconnecting_makes_the_broker_usable_again(rabbit):
    lost = rabbit.connection
    rabbit.channel.queue_declare(queue="", exclusive=True)
    lost.close()  # as when RabbitMQ drops it: every use fails until it is replaced
    assert not rabbit.channel.is_open
    reconnect(rabbit)
    assert rabbit.connection is not lost
    assert rabbit.channel.queue_declare(queue="", exclusive=True).method.queue
