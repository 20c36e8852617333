"""Prometheus metrics of the CRM API: requests and latency per endpoint.

They are counted here and served apart from the API, on METRICS_PORT by the gunicorn master
(deploy/gunicorn.conf.py): anyone may reach the API, nobody but the scraper its metrics.
"""

from __future__ import annotations

import time

from flask import Flask, g, request

from shared import metrics


def register(app: Flask) -> None:
    """Time every request; register before auth so refused requests are counted too."""
    series = metrics.api()

    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        # The URL rule, not the path: one series per endpoint, whatever the ids in it.
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("metrics_started", time.perf_counter())
        series.requests.labels(request.method, endpoint, str(response.status_code)).inc()
        series.latency.labels(request.method, endpoint).observe(elapsed)
        return response
