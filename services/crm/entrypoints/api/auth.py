"""Bearer-token authentication of the API's endpoints (all but health, docs and webhooks).

The web pages sign in with a session instead (services/crm/entrypoints/web/).
"""

from __future__ import annotations

from flask import Flask, g, request

from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.api.errors import body
from services.crm.handlers.employees import authenticate

# The exchange's webhooks carry its signature instead of a token (entrypoints/api/telephony.py).
PUBLIC_BLUEPRINTS = {"health", "api-docs", "telephony_hooks"}


def register(app: Flask, api_blueprints: set[str]) -> None:
    protected = api_blueprints - PUBLIC_BLUEPRINTS

    @app.before_request
    def require_token():
        if request.endpoint is None or request.blueprint not in protected:
            return None  # public, a page of the web workspace, or an unknown URL (404)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _unauthorized("missing bearer token")
        with unit_of_work() as session:
            g.actor = authenticate(session, token.strip())
        if g.actor is None:
            return _unauthorized("invalid or revoked token")
        return None


def _unauthorized(message: str):
    response, code = body(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="crm"'
    return response, code
