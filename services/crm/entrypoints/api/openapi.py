"""What makes the published OpenAPI document say what the API really does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from marshmallow import fields, validate
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
        self.ma_plugin.converter.add_attribute_function(_decimal_text)

    def init_app(self, app, *args, **kwargs):
        app.url_map.converters["text"] = BoundedText
        super().init_app(app, *args, **kwargs)
        self.register_converter(
            BoundedText, lambda c: {"type": "string", "maxLength": c.max_length}
        )


def _numeric_bounds(self, field, ret, **kwargs) -> dict:
    """Bounds as JSON numbers (a Decimal field writes them as it dumps values, "0.00"), and
    an excluded minimum said so (OpenAPI 3.0's boolean ``exclusiveMinimum``)."""
    bounds = {
        k: float(ret[k]) for k in ("minimum", "maximum") if isinstance(ret.get(k), str | Decimal)
    }
    if any(isinstance(v, validate.Range) and not v.min_inclusive for v in field.validators):
        bounds["exclusiveMinimum"] = True
    return bounds


DECIMAL_TEXT = {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}


def _decimal_pattern(number: dict) -> str:
    """Decimal text within the number form's bounds, as far as a pattern can say it."""
    sign = "" if number.get("minimum", -1) >= 0 else "-?"
    # As many integer digits as the maximum has, so that every answer matches (100.00 of a
    # percentage); text beyond the maximum with as many digits is refused by the range.
    digits = len(str(int(number["maximum"]))) if "maximum" in number else 15
    return rf"^{sign}[0-9]{{1,{max(digits, 1)}}}(\.[0-9]{{1,6}})?$"


def _decimal_text(self, field, ret, **kwargs) -> dict:
    """A Decimal dumped as text ("12.50") is a string in answers; a request may send either."""
    if not isinstance(field, fields.Decimal) or not field.as_string:
        return {}
    number = {
        k: ret.pop(k)
        for k in list(ret)
        if k in ("type", "format", "minimum", "maximum", "exclusiveMinimum")
    }
    if field.dump_only:
        ret.update(DECIMAL_TEXT)
    else:
        # The text form's range cannot be written as a pattern: the number form carries it.
        text = {**DECIMAL_TEXT, "pattern": _decimal_pattern(number), "maxLength": 32}
        ret["anyOf"] = [number, text]
    return {}


def _refs(node: Any) -> set[str]:
    """Names of the component schemas ``node`` refers to, directly."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def answers_may_hold_null(spec: dict) -> None:
    """Declare nullable what an answer may hold as null: every property of a schema that only
    answers use, and the read-only properties of those requests use too (ids excepted)."""
    schemas = spec["components"]["schemas"]
    requests = [
        [op.get("parameters", []), op.get("requestBody", {})]
        for ops in spec["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
    ]
    sent, todo = set(), _refs(requests)
    while todo:
        name = todo.pop()
        sent.add(name)
        todo |= _refs(schemas.get(name, {})) - sent
    for name, schema in schemas.items():
        for prop_name, prop in schema.get("properties", {}).items():
            required = prop_name == "id" or prop_name in schema.get("required", [])
            if required or (name in sent and not prop.get("readOnly")):
                continue
            if "$ref" in prop:
                schema["properties"][prop_name] = {"allOf": [prop], "nullable": True}
            else:
                prop["nullable"] = True


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
        if request.method != "PATCH" or request.routing_exception is not None:
            return None
        data = request.get_json(silent=True)
        if data is None and not request.get_data(cache=True):
            data = {}
        if data == {}:
            return body(422, NO_CHANGE, errors={"json": {"_schema": [NO_CHANGE]}})
        return None
