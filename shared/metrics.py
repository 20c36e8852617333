"""Prometheus series of the CRM API, the scheduler and the notifier.

The dramatiq workers' series come from dramatiq's own middleware (shared/worker_metrics.py).
Each set is created by the first call in the process that uses it, so a process's
``/metrics`` shows only its own series. deploy/grafana/crm-dashboard.json and
deploy/prometheus/alerts.yml query these names; tests/deploy checks that they exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.db import utcnow
from shared.names import CHANNELS

log = logging.getLogger(__name__)

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENESS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
KINDS = ("call", "timer")
OUTCOMES = ("delivered", "retry", "failed")

SERIES = {
    "api": ("crm_api_requests_total", "crm_api_request_duration_seconds"),
    "scheduler": (
        "scheduler_tick_duration_seconds",
        "scheduler_emit_lateness_seconds",
        "scheduler_paused",
        "scheduler_due_backlog",
    ),
    "notifier": ("notifier_deliveries_total",),
    # Counted by whichever process contains a failure (shared/containment.py).
    "containment": (
        "crm_quarantined_rows_total",
        "crm_loop_failures_total",
        "crm_dead_lettered_messages_total",
    ),
}


@dataclass(frozen=True)
class ApiMetrics:
    requests: Counter
    latency: Histogram


@dataclass(frozen=True)
class SchedulerMetrics:
    tick: Histogram
    lateness: Histogram
    paused: Gauge
    backlog: _Backlog


@dataclass(frozen=True)
class NotifierMetrics:
    deliveries: Counter


@cache
def api() -> ApiMetrics:
    """Requests per endpoint (the URL rule, e.g. ``/api/leads/<int:lead_id>``) and status."""
    return ApiMetrics(
        Counter(
            "crm_api_requests_total",
            "HTTP requests the CRM API answered.",
            ["method", "endpoint", "status"],
        ),
        Histogram(
            "crm_api_request_duration_seconds",
            "Time the CRM API took to answer a request.",
            ["method", "endpoint"],
            buckets=SECONDS,
        ),
    )


@cache
def scheduler() -> SchedulerMetrics:
    """Tick duration, lateness of what was emitted, the pause switch and the due backlog.

    Every kind starts at 0, so dashboards and alerts have series before the first emission.
    """
    backlog = _Backlog()
    REGISTRY.register(backlog)
    lateness = Histogram(
        "scheduler_emit_lateness_seconds",
        "How long after its due time a call (kind=call) or timer (kind=timer) was published.",
        ["kind"],
        buckets=LATENESS,
    )
    for kind in KINDS:
        lateness.labels(kind)
    return SchedulerMetrics(
        Histogram(
            "scheduler_tick_duration_seconds",
            "Time one tick took to emit everything due.",
            buckets=SECONDS,
        ),
        lateness,
        Gauge(
            "scheduler_paused",
            "1 while an operator has paused emission (crm-ops pause-scheduler).",
        ),
        backlog,
    )


@cache
def notifier() -> NotifierMetrics:
    """Delivery attempts per channel and outcome; every pair starts at 0 so rates exist."""
    deliveries = Counter(
        "notifier_deliveries_total",
        "Delivery attempts of reminders and notices by channel and outcome "
        "(delivered; retry: failed, will try again; failed: gave up).",
        ["channel", "outcome"],
    )
    for channel in CHANNELS:
        for outcome in OUTCOMES:
            deliveries.labels(channel, outcome)
    return NotifierMetrics(deliveries)


@dataclass(frozen=True)
class ContainmentMetrics:
    quarantined: Counter
    loop_failures: Counter
    dead_letters: Counter


@cache
def containment() -> ContainmentMetrics:
    """Rows set aside, loop iterations that failed, messages dead-lettered (shared/containment)."""
    return ContainmentMetrics(
        Counter(
            "crm_quarantined_rows_total",
            "Rows set aside because they can never be processed (crm-ops quarantine list).",
            ["table"],
        ),
        Counter(
            "crm_loop_failures_total",
            "Iterations of a service loop that failed and were retried after a back-off "
            "(kind=transient: a lost connection; permanent: anything else).",
            ["loop", "kind"],
        ),
        Counter(
            "crm_dead_lettered_messages_total",
            "Messages moved to a dead-letter queue with their reason (crm-ops dead-letters).",
            ["queue"],
        ),
    )


def count_quarantined(table: str) -> None:
    containment().quarantined.labels(table).inc()


def count_loop_failure(loop: str, kind: str) -> None:
    containment().loop_failures.labels(loop, kind).inc()


def count_dead_letter(queue: str) -> None:
    containment().dead_letters.labels(queue).inc()


def observe_lateness(kind: str, due_at: datetime) -> None:
    """Record how late an emitted call (``kind="call"``) or timer (``"timer"``) is now."""
    scheduler().lateness.labels(kind).observe(max(0.0, (utcnow() - due_at).total_seconds()))


def count_delivery(channel: str, outcome: str) -> None:
    """Count one delivery attempt: ``outcome`` is delivered, retry or failed."""
    notifier().deliveries.labels(channel, outcome).inc()


class _Backlog(Collector):
    """``scheduler_due_backlog{kind}``: rows already due but not emitted, read at scrape time.

    Counting at scrape time keeps it true when the tick loop itself is stuck.
    """

    def __init__(self) -> None:
        self.source: Callable[[], dict[str, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "scheduler_due_backlog",
            "Planned calls (kind=call) and pending timers (kind=timer) already due, not emitted.",
            labels=["kind"],
        )
        try:
            counts = self.source() if self.source else {}
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("due backlog unavailable", extra={"error": str(exc)})
            counts = {}
        for kind, count in counts.items():
            family.add_metric([kind], count)
        yield family
