"""Bearer-token authentication of the API's endpoints (all but health, docs and webhooks).

The web pages sign in with a session instead (services/crm/entrypoints/web/).
"""

from __future__ import annotations

from flask import Flask, g, request

from services.crm.entrypoints.api.context import close_unused, open_for_request
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
        # Checked in the transaction the view's unit of work continues (context.py).
        g.actor = authenticate(open_for_request(), token.strip())
        if g.actor is None:
            return _unauthorized("invalid or revoked token")
        return None

    @app.teardown_request
    def end_unused_transaction(error):
        close_unused()


def _unauthorized(message: str):
    response, code = body(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="crm"'
    return response, code
