"""gunicorn settings of the CRM API container (deploy/Dockerfile copies this to /app).

Every gunicorn worker counts its own requests; prometheus_client adds them up through
files in PROMETHEUS_MULTIPROC_DIR, which must be set before it is first imported. The
master serves the sum (and /health) on METRICS_PORT, a port apart from the API's: the
metrics are not the business of whoever reaches the API.
"""

import os
import shutil

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/crm-api-metrics")

bind = os.environ.get("API_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("API_WORKERS", "2"))
timeout = int(os.environ.get("API_TIMEOUT_SECONDS", "30"))
# gevent: an open live stream (/live, Server-Sent Events) is a greenlet, not a worker held
# for hours, so hundreds of open pages do not starve the API's requests.
worker_class = "gevent"
worker_connections = int(os.environ.get("API_WORKER_CONNECTIONS", "1000"))
graceful_timeout = 20
# Proxies and load balancers keep connections open longer than gunicorn's default 2 s.
keepalive = 75
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl):
# two instances would share it, and the root file system is read-only anyway.
control_socket_disable = True
# The longest request line gunicorn reads (its default, 4094, answers a long but valid query
# with its own HTML 414 before the API can name the field).
limit_request_line = 8190


def on_starting(server):
    # Samples left by a previous run would be added to this run's counters.
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def when_ready(server):
    from shared import config, metrics_http

    settings = config.load()
    if settings.metrics_port:
        metrics_http.start(settings, _health_engine(settings.database_url))


def _health_engine(url):
    # No pool in the master: a connection it held would be inherited by every forked worker.
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
