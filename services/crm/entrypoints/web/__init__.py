"""The web workspace: pages for managers, secretaries, heads and admins, on the API's handlers.

``register(app)`` adds server-side sessions in Redis, CSRF protection, the reader's language
and time zone (Flask-Babel over the shared gettext catalogue) and the pages' blueprint.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from flask import Flask, g, request
from flask_babel import Babel

from services.crm.adapters import live
from services.crm.domain.deals import ENVIRONMENT_ROLES
from services.crm.domain.process import INBOUND_SALES
from services.crm.domain.tasks import OUTCOMES
from services.crm.entrypoints.web import (  # noqa: F401 (each module adds its pages to bp)
    admin,
    admin_kinds,
    analytics,
    auth,
    calendar,
    calls,
    cards,
    deals,
    errors,
    labels,
    my_day,
    processes,
    profile,
    stream,
    work,
)
from services.crm.entrypoints.web.base import bp, csrf, moment, t
from services.crm.entrypoints.web.ratelimit import LoginLimiter
from services.crm.entrypoints.web.sessions import RedisSessionInterface
from shared import config
from shared.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES


def register(app: Flask, settings: config.Settings) -> None:
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    namespace = live.namespace(settings.database_url)
    app.config.update(
        SECRET_KEY=settings.web_secret_key,
        SESSION_COOKIE_SECURE=settings.web_secure_cookies,
        # The API is authenticated by bearer tokens, not cookies: only the pages check CSRF.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A page may stay open all day: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=str(LOCALE_DIR),
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
    )
    app.session_interface = RedisSessionInterface(
        client, namespace, timedelta(hours=settings.web_session_hours)
    )
    app.extensions["web.login_limiter"] = LoginLimiter(
        settings.redis_url, namespace, settings.web_login_limit
    )
    app.extensions["web.hub"] = live.Hub(client, live.channel(settings.database_url))
    Babel(app, locale_selector=_locale, timezone_selector=_timezone)
    csrf.init_app(app)
    app.jinja_env.globals.update(
        _=t, moment=moment, labels=labels, outcomes=OUTCOMES, outcome_choices=outcome_choices
    )
    app.jinja_env.globals["rules_roles"] = ENVIRONMENT_ROLES
    app.jinja_env.globals["steps"] = {s.name: s for s in INBOUND_SALES.steps}
    app.jinja_env.filters.update(
        choices=choices,
        outcome_label=lambda code: (code, t(labels.label(labels.OUTCOMES, code))),
        translated=lambda pair: (pair[0], t(pair[1])),
    )
    app.register_blueprint(bp)


def outcome_choices(kind: str) -> list[tuple[str, str]]:
    """The outcomes a task of ``kind`` allows, and only those, with their labels."""
    return [(code, t(labels.label(labels.OUTCOMES, code))) for code in OUTCOMES[kind]]


def choices(entries) -> list[tuple[int, str]]:
    """Reference-book entries, employees (or shown records, as dicts) as a select's options."""
    return [(e["id"], e["name"]) if isinstance(e, dict) else (e.id, e.name) for e in entries]


def _locale() -> str:
    employee = g.get("employee")
    if employee is not None:
        return employee.locale
    chosen = request.cookies.get("lang")  # picked on the sign-in page
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def _timezone() -> str | None:
    employee = g.get("employee")
    return employee.timezone if employee is not None else None
