"""The CRM's Flask application: OpenAPI at /openapi.json, docs at /docs."""

from __future__ import annotations

import logging
import time
import uuid

import redis
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, g, request

from services.crm.adapters import live
from services.crm.analytics.api import catalogue as analytics_catalogue
from services.crm.analytics.api import claims, classification, dossier
from services.crm.analytics.api import deal_routes as _deal_routes  # noqa: F401 (funnel)
from services.crm.analytics.api import reports as analytics_reports
from services.crm.entrypoints import web
from services.crm.entrypoints.api import (
    asyncapi,
    auth,
    calendar,
    calls,
    catalogue,
    counterparties,
    deal_kinds,
    deal_views,
    deals,
    documents,
    employees,
    errors,
    files,
    health,
    inbox,
    interactions,
    leads,
    metrics,
    openapi,
    orders,
    partners,
    processes,
    reference,
    tasks,
    telephony,
)
from services.crm.entrypoints.cli import register_cli
from services.crm.handlers import deal_reports  # noqa: F401 (deals in the reports and dossier)
from shared import config, logs, webhooks
from shared.db import make_engine, make_session_factory

log = logging.getLogger("crm.api")

BLUEPRINTS = (
    health.blp,
    employees.blp,
    reference.statuses,
    reference.refusal_reasons,
    calendar.blp,
    partners.blp,
    partners.contacts,
    leads.blp,
    counterparties.blp,
    calls.blp,
    tasks.blp,
    inbox.blp,
    processes.blp,
    documents.blp,
    orders.blp,
    catalogue.items,
    catalogue.contracts,
    telephony.hooks,
    files.blp,
    telephony.blp,
    analytics_reports.blp,
    analytics_catalogue.item_groups,
    analytics_catalogue.loyalty_cards,
    claims.blp,
    dossier.blp,
    classification.blp,
    deal_kinds.blp,
    deals.blp,
    interactions.blp,
)


# Deals' own routes on the partners' blueprint, before the blueprint is registered.
deal_views.register_sales_history(partners.blp)


def create_app(settings: config.Settings | None = None) -> Flask:
    settings = settings or config.load()
    webhooks.master_secret(settings)  # refuses to start in production with a known secret
    # No app-wide static folder: the pages' files are the web blueprint's /static.
    app = Flask("crm", static_folder=None)
    app.config.update(
        SETTINGS=settings,
        API_TITLE="CRM",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Installed from npm by `make install` and served here: /docs works offline.
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        # Larger bodies get 413 before anything reads them.
        MAX_CONTENT_LENGTH=settings.api_max_body_bytes,
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    engine = make_engine(settings.database_url)
    app.extensions["crm.engine"] = engine
    app.extensions["crm.sessions"] = make_session_factory(engine)
    live.publish_after_commit(
        app.extensions["crm.sessions"],
        redis.Redis.from_url(settings.redis_url, socket_timeout=2),
        live.channel(settings.database_url),
    )

    api = openapi.CrmApi(
        app,
        spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name)},
    )
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    errors.register(app)
    _correlate(app)
    metrics.register(app)
    auth.register(app, {blp.name for blp in BLUEPRINTS})
    openapi.require_changes(app, api.spec.to_dict())  # after auth: a 401 comes first
    openapi.answers_may_hold_null(api.spec.to_dict())
    web.register(app, settings)
    app.register_blueprint(asyncapi.blp)  # public, outside the bearer-token API like /docs
    register_cli(app)
    return app


def _schema_name(schema) -> str:
    """OpenAPI component names: ``LeadSchema(partial=True)`` becomes ``LeadPatch``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return f"{name}Patch" if getattr(schema, "partial", False) else name


def _correlate(app: Flask) -> None:
    """Give every request an id, echo it back, and log one line per request."""

    @app.before_request
    def start():
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.started = time.perf_counter()
        logs.correlation_id.set(g.request_id)

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1
                ),
            },
        )
        return response


def wsgi() -> Flask:
    """Entry point for gunicorn: ``gunicorn 'services.crm.entrypoints.api.app:wsgi()'``."""
    settings = config.load()
    logs.configure("crm-api", settings.log_level)
    return create_app(settings)
