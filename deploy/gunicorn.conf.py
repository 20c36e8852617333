"""gunicorn settings of the CRM API container (deploy/Dockerfile copies this to /app).

Every gunicorn worker counts its own requests; prometheus_client adds them up through
files in PROMETHEUS_MULTIPROC_DIR, which must be set before it is first imported.
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


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
