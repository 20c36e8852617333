"""Each process serves its Prometheus series (and /health) as deployed: the API under
gunicorn with deploy/gunicorn.conf.py, a dramatiq worker and the scheduler with METRICS_PORT.
The API's are served there too, never on the API's own port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from dramatiq.common import xq_name
from prometheus_client.parser import text_string_to_metric_families

from shared import metrics
from shared.contracts import CRM, envelope
from shared.publisher import to_queue
from tests.helpers import eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def running(settings, tmp_path_factory):
    """The API, the CRM worker and the scheduler tick loop: name -> base URL of its metrics."""
    tmp = tmp_path_factory.mktemp("metrics")
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DATABASE_URL=settings.database_url,
        BROKER_URL=settings.broker_url,
        REDIS_URL=settings.redis_url,
        LOG_LEVEL="WARNING",
        SCHEDULER_ROUTINES="",
    )
    ports = {name: free_port() for name in ("api", "api_metrics", "worker", "scheduler")}
    commands: dict[str, tuple[list[Any], dict[str, str]]] = {
        "api": (
            [
                BIN / "gunicorn",
                "--config",
                "deploy/gunicorn.conf.py",
                "services.crm.entrypoints.api.app:wsgi()",
            ],
            {
                "API_BIND": f"127.0.0.1:{ports['api']}",
                "API_WORKERS": "2",
                "METRICS_PORT": str(ports["api_metrics"]),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp / "api"),
            },
        ),
        "worker": (
            [
                BIN / "dramatiq",
                "services.crm.entrypoints.actors",
                "--processes",
                "1",
                "--threads",
                "1",
                "--queues",
                CRM,
            ],
            {"METRICS_PORT": str(ports["worker"]), "dramatiq_prom_db": str(tmp / "worker")},
        ),
        "scheduler": ([BIN / "scheduler"], {"METRICS_PORT": str(ports["scheduler"])}),
    }
    procs = []
    for name, (argv, extra) in commands.items():
        with open(tmp / f"{name}.log", "ab") as log:
            procs.append(
                subprocess.Popen(
                    [str(a) for a in argv],
                    cwd=ROOT,
                    env={**env, **extra},
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
    yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def get(url: str) -> requests.Response | None:
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None


def healthy(base: str) -> bool:
    response = get(f"{base}/health")
    return response is not None and response.status_code == 200


def samples(base: str) -> dict[tuple[str, frozenset], float]:
    """Every sample the endpoint serves: (name, labels) -> value."""
    response = requests.get(f"{base}/metrics", timeout=5)
    if response.status_code != 200:
        return {}  # not readable at this moment (a process creating its file): ask again
    text = response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def names(base: str) -> set[str]:
    return {name for name, _ in samples(base)}


def test_the_api_counts_requests_per_endpoint_over_all_gunicorn_workers(running):
    api = running["api"]
    eventually(lambda: healthy(api), timeout=60)
    for _ in range(6):
        assert requests.get(f"{api}/api/leads", timeout=5).status_code == 401

    served = samples(running["api_metrics"])
    labels = frozenset({"method": "GET", "endpoint": "/api/leads", "status": "401"}.items())
    assert served[("crm_api_requests_total", labels)] == 6
    assert {f"{n}_bucket" for n in metrics.SERIES["api"][1:]} <= {name for name, _ in served}


def test_the_api_serves_no_metrics_to_its_callers_only_on_the_metrics_port(running):
    api, metrics_port = running["api"], running["api_metrics"]
    eventually(lambda: healthy(api), timeout=60)
    refused = requests.get(f"{api}/metrics", timeout=5)
    assert refused.status_code == 404 and "crm_api_requests_total" not in refused.text
    assert "/metrics" not in requests.get(f"{api}/openapi.json", timeout=5).json()["paths"]
    assert healthy(metrics_port)
    assert "crm_api_requests_total" in names(metrics_port)


def test_a_worker_serves_dramatiq_metrics_and_its_health(running, broker, amqp):
    worker = running["worker"]
    eventually(lambda: healthy(worker), timeout=60)
    body = requests.get(f"{worker}/health", timeout=5).json()
    assert body["checks"] == {"database": "ok", "broker": "ok", "redis": "ok"}

    # Refused (no such lead) but processed: enough to be counted.
    lead = {"subject_kind": "lead", "subject_id": 999, "status_id": 1, "reason": None}
    to_queue(broker, CRM, envelope("AssignStatus", lead))
    counted = frozenset({"queue_name": CRM, "actor_name": "handle_crm_message"}.items())
    eventually(lambda: samples(worker).get(("dramatiq_messages_total", counted)) == 1, timeout=30)
    assert "dramatiq_message_duration_milliseconds_bucket" in names(worker)
    amqp.queue_purge(xq_name(CRM))


def test_the_scheduler_serves_tick_pause_and_backlog_series_and_its_health(running):
    scheduler = running["scheduler"]
    eventually(lambda: healthy(scheduler), timeout=60)
    eventually(
        lambda: samples(scheduler).get(("scheduler_tick_duration_seconds_count", frozenset()))
    )

    served = names(scheduler)
    assert {
        "scheduler_tick_duration_seconds_bucket",
        "scheduler_emit_lateness_seconds_bucket",
        "scheduler_paused",
        "scheduler_due_backlog",
    } - served == set()
    assert requests.get(f"{scheduler}/nothing-here", timeout=5).status_code == 404


def test_no_worker_imports_prometheus_client_before_dramatiq_sets_up_its_shared_files():
    # prometheus_client chooses memory or files shared by the worker processes when it is
    # first imported; importing it early would hide every worker's samples from /metrics.
    code = (
        "import sys\n"
        "import services.crm.entrypoints.actors, services.scheduler.entrypoints.actors\n"
        "import services.notifier.entrypoints.actors\n"
        "print(sorted(m for m in sys.modules if m.startswith('prometheus_client')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
