"""Process entry point of the scheduler's tick loop: ``scheduler``.

Its events and commands are consumed by a separate worker process:
``dramatiq services.scheduler.entrypoints.actors --queues scheduler``.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from services.scheduler.adapters.ticker import Ticker
from shared import config, process
from shared.broker import set_broker
from shared.db import libpq_dsn, make_engine, make_session_factory


def tick_loop(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    # Everything the tick commits marks what the broker has already confirmed. Losing such a
    # commit in a database crash only means the same messages are sent again under the same
    # ids, which consumers deduplicate, so the tick does not wait for the WAL flush.
    tick_engine = make_engine(
        settings.database_url, connect_args={"options": "-c synchronous_commit=off"}
    )
    ticker = Ticker(make_session_factory(tick_engine), set_broker(settings), settings)
    try:
        ticker.run(stop, libpq_dsn(settings.database_url))
    finally:
        ticker.close()
        ticker.broker.close()
        tick_engine.dispose()


def main() -> None:
    process.run("scheduler", tick_loop)


if __name__ == "__main__":
    main()
