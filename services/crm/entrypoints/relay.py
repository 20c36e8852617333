"""Process entry point of the CRM's background loops: ``crm-relay``.

The outbox relay, and in a thread beside it the loop that keeps the buyers' ranks
(``analytics/handlers/ranks.py``): both wait on the database most of the time."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from services.crm.adapters.relay import Relay
from services.crm.analytics.handlers import ranks
from shared import config, process
from shared.broker import set_broker
from shared.db import libpq_dsn, make_session_factory


def relay(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    sessions = make_session_factory(engine)
    ranking = threading.Thread(
        target=ranks.keep, args=(sessions, settings.ranks_refresh_seconds, stop), name="ranks"
    )
    ranking.start()
    Relay(
        sessions,
        set_broker(settings),
        settings.events_exchange,
        batch_size=settings.relay_batch_size,
    ).run(libpq_dsn(settings.database_url), settings.relay_poll_seconds, stop)
    ranking.join()


def main() -> None:
    process.run("crm-relay", relay)


if __name__ == "__main__":
    main()
