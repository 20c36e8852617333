"""The one place where the dramatiq broker is built and installed."""

from __future__ import annotations

import dramatiq
import dramatiq.broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from shared import config
from shared.deadletter import ContractValidation
from shared.worker_metrics import WorkerMetrics


def set_broker(settings: config.Settings) -> RabbitmqBroker:
    """Build the RabbitMQ broker (durable queues, confirms, dead letters) and install it.

    Parameters:
      settings: where RabbitMQ is.

    Returns:
      RabbitmqBroker: the broker now returned by ``dramatiq.get_broker()``; it connects
      lazily, on first use.
    """
    broker = RabbitmqBroker(url=settings.broker_url, confirm_delivery=True)
    _add_middleware(broker)
    dramatiq.set_broker(broker)
    return broker


def ensure_broker(settings: config.Settings) -> dramatiq.Broker:
    """The installed broker, or the RabbitMQ one of ``settings`` when none is.

    A worker calls this at import (shared/worker.py), so a test that installed a broker
    first keeps it, and the dramatiq CLI gets the RabbitMQ broker, with Prometheus metrics
    and ``/health`` on ``METRICS_PORT`` when that is set.
    """
    if dramatiq.broker.global_broker is None:
        broker = set_broker(settings)
        if settings.metrics_port:
            broker.add_middleware(WorkerMetrics())
        return broker
    return dramatiq.get_broker()


def reconnect(broker: dramatiq.Broker) -> None:
    """Close this thread's connection to RabbitMQ, so that the next use opens a new one.

    dramatiq keeps one connection a thread and reopens it only when there is none: after
    RabbitMQ dropped it, every use fails until it is deleted. Deleting the attribute is the
    way dramatiq itself closes it (``RabbitmqBroker.connection``'s deleter, which closes
    the channel too); brokers without a connection (the stub) have nothing to reopen.
    """
    if isinstance(broker, RabbitmqBroker):
        del broker.connection


def set_stub_broker() -> StubBroker:
    """An in-memory broker with the same middleware, for unit tests of one actor."""
    broker = StubBroker()
    _add_middleware(broker)
    broker.emit_after("process_boot")
    dramatiq.set_broker(broker)
    return broker


def _add_middleware(broker: dramatiq.Broker) -> None:
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(ContractValidation())
