"""Life cycle of a long-running service process: connect, run until SIGTERM, stop cleanly."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine

from shared import config, logs, metrics_http
from shared.db import make_engine
from shared.health import check_broker, check_database

log = logging.getLogger(__name__)


def stop_event() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run(service: str, body: Callable[[config.Settings, Engine, threading.Event], None]) -> None:
    """Configure logs, wait until the database and broker answer, then run ``body``.

    Parameters:
      service: name used in logs.
      body: the service's main loop; it must return soon after the stop event is set.
    """
    settings = config.load()
    logs.configure(service, settings.log_level)
    stop = stop_event()
    engine = make_engine(settings.database_url)
    metrics_http.start(settings, engine)  # /metrics and /health, when METRICS_PORT is set
    while not stop.is_set():
        try:
            check_database(engine)
            check_broker(settings.broker_url)
            break
        except Exception as exc:  # a dependency still starting: wait and try again
            log.warning("waiting for dependencies", extra={"error": str(exc)})
            stop.wait(2)
    if stop.is_set():
        return
    log.info("started")
    try:
        body(settings, engine, stop)
    finally:
        engine.dispose()
        log.info("stopped")
