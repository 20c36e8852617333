"""The messages as a documented API: AsyncAPI at /asyncapi.json, a readable page at /asyncapi.

Both are public, like /openapi.json and /docs: they describe the contracts, never data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from services.crm.entrypoints.api.context import settings
from shared.asyncapi import document

blp = Blueprint("asyncapi", __name__)


def _document() -> dict[str, Any]:
    # The contracts do not change while the process runs: build the document once.
    cached = current_app.extensions.get("crm.asyncapi")
    if cached is None:
        config = settings()
        cached = document(config.events_exchange, config.broker_url)
        current_app.extensions["crm.asyncapi"] = cached
    return cached


@blp.get("/asyncapi.json")
def asyncapi_json():
    return jsonify(_document())


@blp.get("/asyncapi")
def asyncapi_page():
    doc = _document()
    schemas = doc["components"]["schemas"]
    channels = [
        {
            "id": channel_id,
            "address": channel["address"],
            "is_queue": channel["bindings"]["amqp"]["is"] == "queue",
            "description": channel["description"],
            "messages": [_name(ref) for ref in channel["messages"].values()],
            "senders": _parties(doc, channel_id, "send"),
            "receivers": _parties(doc, channel_id, "receive"),
        }
        for channel_id, channel in doc["channels"].items()
    ]
    messages = [
        {
            **message,
            "data": _name(message["payload"]["properties"]["data"]),
        }
        for message in doc["components"]["messages"].values()
    ]
    return render_template(
        "asyncapi.html",
        info=doc["info"],
        channels=channels,
        messages=messages,
        schemas={name: _fields(schema) for name, schema in schemas.items()},
        nested=sorted(set(schemas) - {m["data"] for m in messages}),
    )


def _parties(doc: dict[str, Any], channel_id: str, action: str) -> list[str]:
    """Who sends or receives on a channel: the first word of its operations' ids."""
    return [
        operation_id.split("_", 1)[0]
        for operation_id, operation in doc["operations"].items()
        if operation["action"] == action and _name(operation["channel"]) == channel_id
    ]


def _name(ref: dict[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a schema's table: name, type as a reader writes it, required, description."""
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": _type(prop),
            "required": name in required,
            "default": prop.get("default"),
            "nested": _nested(prop),
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return _name(prop)
    if "anyOf" in prop:
        return " | ".join(_type(p) for p in prop["anyOf"])
    kinds = prop.get("type", "any")
    text = " | ".join(kinds) if isinstance(kinds, list) else kinds
    if "items" in prop:
        text = f"{text}[{_type(prop['items'])}]"
    if "format" in prop:
        text = f"{text} ({prop['format']})"
    if "enum" in prop:
        text = f"{text}: {', '.join(str(v) for v in prop['enum'] if v is not None)}"
    return text


def _nested(prop: dict[str, Any]) -> str | None:
    """The schema a field refers to, which the page links to."""
    for candidate in (prop, prop.get("items", {}), *prop.get("anyOf", ())):
        if "$ref" in candidate:
            return _name(candidate)
    return None
