"""dramatiq's Prometheus middleware, served with ``/health`` on ``METRICS_PORT`` by the worker CLI.

This module must not import prometheus_client: the library picks where samples live (memory
or files shared by the worker processes) when it is first imported, and in a worker that
has to happen after ``PROMETHEUS_MULTIPROC_DIR`` is set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from dramatiq.middleware.prometheus import DB_PATH, Prometheus

# What dramatiq's middleware exposes (dramatiq/middleware/prometheus.py).
SERIES = (
    "dramatiq_messages_total",
    "dramatiq_message_errors_total",
    "dramatiq_message_retries_total",
    "dramatiq_message_rejects_total",
    "dramatiq_messages_inprogress",
    "dramatiq_delayed_messages_inprogress",
    "dramatiq_message_duration_milliseconds",
)


class WorkerMetrics(Prometheus):
    """Counts, errors, retries, dead letters and durations per queue and actor.

    dramatiq's own exposition server answers every path with metrics and knows nothing of
    health; this one is replaced by :func:`serve_worker`, which adds ``/health``.
    """

    def __init__(self) -> None:
        super().__init__()
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", DB_PATH)

    @property
    def forks(self) -> list[Callable[[], Any]]:
        return [serve_worker]


def serve_worker() -> None:
    """Body of a fork of the dramatiq CLI: serve every worker process's metrics until SIGTERM."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = DB_PATH
    from shared import config, metrics_http
    from shared.db import make_engine

    settings = config.load()
    metrics_http.start(settings, make_engine(settings.database_url, pool_size=1))
    threading.Event().wait()  # dramatiq's SIGTERM handler ends the fork with SystemExit
