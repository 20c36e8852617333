"""Process entry point of the CRM's outbox relay: ``crm-relay``."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from services.crm.adapters.relay import Relay
from shared import config, process
from shared.broker import set_broker
from shared.db import libpq_dsn, make_session_factory


def relay(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    Relay(
        make_session_factory(engine),
        set_broker(settings),
        settings.events_exchange,
        batch_size=settings.relay_batch_size,
    ).run(libpq_dsn(settings.database_url), settings.relay_poll_seconds, stop)


def main() -> None:
    process.run("crm-relay", relay)


if __name__ == "__main__":
    main()
