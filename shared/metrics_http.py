"""The small HTTP server of a process that is not the API: ``/metrics`` and ``/health``."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy.engine import Engine

from shared import config
from shared.health import healthy, run_checks

log = logging.getLogger(__name__)


def exposition() -> bytes:
    """The metrics in Prometheus's text format.

    Returns:
      bytes: this process's series, or the sum over every process writing to
      ``PROMETHEUS_MULTIPROC_DIR`` when it is set (gunicorn and dramatiq workers).
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def serve(port: int, health: Callable[[], dict[str, str]]) -> ThreadingHTTPServer:
    """Serve ``/metrics`` and ``/health`` on ``port`` from a daemon thread.

    Parameters:
      port: TCP port, bound on every interface (the orchestrator probes from outside).
      health: returns ``{"database": "ok", ...}``; any value but "ok" answers 503.

    Returns:
      ThreadingHTTPServer: already serving; ``shutdown()`` stops it.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                try:
                    metrics = exposition()
                except Exception as exc:
                    # A worker process creating its file of samples at this moment (still
                    # empty) cannot be read; the next scrape can. Answer, never drop the link.
                    log.warning("metrics not readable now", extra={"error": repr(exc)})
                    self._answer(503, "text/plain", b"metrics not readable now, retry\n")
                    return
                self._answer(200, CONTENT_TYPE_LATEST, metrics)
            elif self.path == "/health":
                checks = health()
                ok = healthy(checks)
                body = {"status": "ok" if ok else "unhealthy", "checks": checks}
                self._answer(200 if ok else 503, "application/json", json.dumps(body).encode())
            else:
                self._answer(404, "text/plain", b"not found\n")

        def _answer(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a scrape and a probe every few seconds would drown the service's own logs

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("metrics and health served", extra={"port": port})
    return server


def start(settings: config.Settings, engine: Engine) -> ThreadingHTTPServer | None:
    """Serve metrics and dependency health on ``METRICS_PORT``; nothing when it is 0.

    Parameters:
      settings: the process's settings (port, broker and Redis URLs).
      engine: the engine whose database ``/health`` checks.
    """
    if not settings.metrics_port:
        return None
    return serve(settings.metrics_port, lambda: run_checks(settings, engine))
