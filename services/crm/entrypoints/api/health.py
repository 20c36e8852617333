"""Health of the CRM API and of what it depends on; no token needed."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.entrypoints.api.context import settings
from shared.health import healthy, run_checks

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness")


@blp.route("")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200)
    @blp.alt_response(503, description="A dependency does not answer")
    def get(self):
        """Check PostgreSQL, RabbitMQ and Redis"""
        results = run_checks(settings(), current_app.extensions["crm.engine"])
        return {"status": "ok" if healthy(results) else "unhealthy", "checks": results}, (
            200 if healthy(results) else 503
        )
