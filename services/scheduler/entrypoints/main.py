"""Process entry point of the scheduler's tick loop: ``scheduler``.

Its events and commands are consumed by a separate worker process:
``dramatiq services.scheduler.entrypoints.actors --queues scheduler``.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from services.scheduler.adapters.ticker import Ticker, libpq_dsn
from shared import config, process
from shared.broker import set_broker
from shared.db import make_session_factory


def tick_loop(settings: config.Settings, engine: Engine, stop: threading.Event) -> None:
    ticker = Ticker(make_session_factory(engine), set_broker(settings), settings)
    try:
        ticker.run(stop, libpq_dsn(settings.database_url))
    finally:
        ticker.broker.close()


def main() -> None:
    process.run("scheduler", tick_loop)


if __name__ == "__main__":
    main()
