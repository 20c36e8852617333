"""Process entry point of the outbox relay: ``crm-relay``."""

from __future__ import annotations

import signal
import threading

from services.crm.adapters.relay import Relay, sqlalchemy_to_libpq
from shared import config, logs
from shared.broker import set_broker
from shared.db import make_engine, make_session_factory


def main() -> None:
    settings = config.load()
    logs.configure("crm-relay", settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    engine = make_engine(settings.database_url, pool_size=2)
    relay = Relay(
        make_session_factory(engine),
        set_broker(settings),
        settings.events_exchange,
        settings.relay_batch_size,
    )
    relay.run(sqlalchemy_to_libpq(settings.database_url), settings.relay_poll_seconds, stop)
    engine.dispose()


if __name__ == "__main__":
    main()
