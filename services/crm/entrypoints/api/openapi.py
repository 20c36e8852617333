"""What makes the published OpenAPI document say what the API really does."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, request
from flask_smorest import Api
from werkzeug.routing import BaseConverter

from services.crm.entrypoints.api.errors import body

PAGINATION_HEADER = {
    "description": "Pagination metadata, a JSON object: total, total_pages, first_page, "
    "last_page, page, and previous_page / next_page where there is one.",
    "schema": {"type": "string", "example": '{"total": 42, "total_pages": 5, "page": 1}'},
}
NO_CHANGE = "give at least one field to change"


class BoundedText(BaseConverter):
    """``<text(200):department>``: a path segment documented with its column's width.

    Longer values still reach the view, which refuses them naming the field (a 422, not 404).
    """

    def __init__(self, url_map, max_length: int):
        super().__init__(url_map)
        self.max_length = max_length


class CrmApi(Api):
    """flask-smorest's Api with the spec's few untruths corrected."""

    def _register_pagination_header(self):
        # The header carries JSON text: an object schema for it matches no header value.
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_numeric_bounds)

    def init_app(self, app, *args, **kwargs):
        app.url_map.converters["text"] = BoundedText
        super().init_app(app, *args, **kwargs)
        self.register_converter(
            BoundedText, lambda c: {"type": "string", "maxLength": c.max_length}
        )


def _numeric_bounds(self, field, ret, **kwargs) -> dict:
    """Bounds as JSON numbers: a Decimal field writes them as it dumps values ("0.00")."""
    bounds = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    return {k: float(ret[k]) for k in bounds if isinstance(ret.get(k), str | Decimal)}


def require_changes(app: Flask, spec: dict) -> None:
    """A PATCH must change something: an empty or missing body is a 422, and says so in the spec."""
    for operations in spec.get("paths", {}).values():
        patch = operations.get("patch", {})
        for content in patch.get("requestBody", {}).get("content", {}).values():
            content["schema"] = {"allOf": [content["schema"]], "minProperties": 1}
        if "requestBody" in patch:
            patch["requestBody"]["required"] = True

    @app.before_request
    def refuse_empty_patch():
        if request.method != "PATCH" or not request.path.startswith("/api/"):
            return None
        data = request.get_json(silent=True)
        if data is None and not request.get_data(cache=True):
            data = {}
        if data == {}:
            return body(422, NO_CHANGE, errors={"json": {"_schema": [NO_CHANGE]}})
        return None
