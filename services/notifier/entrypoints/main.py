"""Process entry point of the notifier: ``notifier``.

It runs the notifier's outbox relay (CreateTasks, DeliverInApp, ScheduleTimer, CancelTimer)
in one thread and the e-mail/webhook delivery workers in others. Messages to the notifier
are consumed by a separate worker process:
``dramatiq services.notifier.entrypoints.actors --queues notifier``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine

from services.notifier.adapters.delivery_worker import DeliveryWorker
from services.notifier.adapters.outbox import Relay
from shared import config, process, webhooks
from shared.broker import set_broker
from shared.db import libpq_dsn, make_session_factory

log = logging.getLogger(__name__)


def serve(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    sessions = make_session_factory(engine)
    dsn = libpq_dsn(settings.database_url)
    broker = set_broker(settings)
    relay = Relay(sessions, broker, settings.events_exchange, batch_size=settings.relay_batch_size)
    relay_thread = threading.Thread(
        target=_or_stop,
        args=(lambda: relay.run(dsn, settings.relay_poll_seconds, stop), stop),
        name="relay",
    )
    relay_thread.start()
    try:
        _or_stop(lambda: DeliveryWorker(sessions, settings).run(stop, dsn), stop)
    finally:
        relay_thread.join()
        broker.close()


def _or_stop(body: Callable[[], None], stop: threading.Event) -> None:
    # If the relay or the delivery loop dies, the whole process stops, so the supervisor
    # restarts it instead of leaving half a notifier running.
    try:
        body()
    except Exception:
        log.exception("notifier part failed")
        raise
    finally:
        stop.set()


def main() -> None:
    try:
        webhooks.master_secret(config.load())  # before connecting to anything
    except webhooks.InsecureSettings as exc:
        sys.exit(f"notifier: {exc}")
    process.run("notifier", serve)


if __name__ == "__main__":
    main()
