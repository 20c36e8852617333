"""Prometheus metrics of the CRM API: requests and latency per endpoint, at /metrics (no token)."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST

from shared import metrics
from shared.metrics_http import exposition

blp = Blueprint("metrics", __name__, url_prefix="/metrics", description="Prometheus metrics")


@blp.route("")
class Metrics(MethodView):
    @blp.doc(security=[], responses={200: {"description": "OK", "content": {"text/plain": {}}}})
    def get(self):
        """Request counts and latency per endpoint, in Prometheus's text format"""
        return Response(exposition(), content_type=CONTENT_TYPE_LATEST)


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
