"""Checking the AsyncAPI document and the messages published against it, with jsonschema."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# The official schema of AsyncAPI 3.0, from the npm package @asyncapi/specs (make install).
OFFICIAL_SCHEMA = (
    Path(__file__).resolve().parents[1]
    / "node_modules/@asyncapi/specs/schemas/3.0.0-without-$id.json"
)
DOCUMENT_URI = "urn:crm:asyncapi"

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _aware_instant(value: object) -> bool:
    # Offsets are part of the contract: a naive time is as wrong as a malformed one.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@cache
def official_schema() -> dict[str, Any]:
    assert OFFICIAL_SCHEMA.exists(), f"{OFFICIAL_SCHEMA} is missing: run make install"
    return json.loads(OFFICIAL_SCHEMA.read_text())


def spec_errors(document: dict[str, Any]) -> list[str]:
    """Where ``document`` breaks the AsyncAPI 3.0 schema, one line per error."""
    validator = Draft7Validator(official_schema())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]


def message_validator(document: dict[str, Any], name: str) -> Draft7Validator:
    """A validator of the payload of message ``name``, its references resolved in ``document``."""
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT7)
    )
    return Draft7Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/messages/{name}/payload"},
        registry=registry,
        format_checker=formats,
    )


def envelope_errors(
    document: dict[str, Any], body: dict[str, Any], routing_key: str | None = None
) -> list[str]:
    """Why a received envelope does not match the document (empty when it does).

    Parameters:
      document: the AsyncAPI document as served.
      body: the decoded envelope.
      routing_key: the key it was published under on the events exchange, if it was.
    """
    name = f"{body.get('type')}V{body.get('version')}"
    message = document["components"]["messages"].get(name)
    if message is None:
        return [f"{name}: not in the document"]
    errors = [
        f"{name} {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in message_validator(document, name).iter_errors(body)
    ]
    schema = document["components"]["schemas"][
        message["payload"]["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
    ]
    undocumented = set(body.get("data", {})) - set(schema["properties"])
    if undocumented:
        errors.append(f"{name}: undocumented fields {sorted(undocumented)}")
    if routing_key is not None:
        pattern = message.get("x-routing-key", "")
        if routing_key.split(".", 1)[-1] != pattern.split(".", 1)[-1]:
            errors.append(f"{name}: routing key {routing_key} does not match {pattern!r}")
    return errors
