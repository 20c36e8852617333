"""One error body for every failure: ``{"code", "status", "message"}`` plus ``errors`` for 422."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from services.crm.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)

STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, Invalid: 422}


def body(code: int, message: str, **extra):
    return jsonify(code=code, status=HTTPStatus(code).phrase, message=message, **extra), code


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # flask-smorest's handler drops the exception's own headers (a 405's Allow) and, with
        # no message given, the message: every answer carries both.
        data = getattr(exc, "data", None) or {}
        payload = {"code": exc.code, "status": exc.name, "message": data.get("message")}
        payload["message"] = payload["message"] or exc.description
        if errors := data.get("errors", data.get("messages")):
            payload["errors"] = errors
        headers = dict(h for h in exc.get_headers() if h[0].lower() != "content-type")
        return payload, exc.code, {**headers, **(data.get("headers") or {})}

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        code = next((c for kind, c in STATUS.items() if isinstance(exc, kind)), 400)
        if isinstance(exc, Invalid):
            return body(code, str(exc), errors={"json": {exc.field: [exc.reason]}})
        return body(code, str(exc))

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # A race the handlers' own checks could not see (two requests creating the same name).
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        log.warning("integrity error", extra={"constraint": constraint})
        return body(409, f"conflicts with existing data ({constraint or 'constraint'})")

    @app.errorhandler(DataError)
    def data_error(exc: DataError):
        # A value the schemas let through but PostgreSQL cannot store: still the request's fault.
        log.warning("data error", extra={"error": str(exc.orig).splitlines()[0]})
        return body(422, "a value cannot be stored (out of range or malformed)")

    @app.errorhandler(RecursionError)
    def too_deep(exc: RecursionError):
        # The JSON parser gives up on a body nested thousands of levels deep.
        return body(400, "request body is nested too deeply")
