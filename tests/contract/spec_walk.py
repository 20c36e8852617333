"""Walk the request side of an OpenAPI document: every value a client may send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Strings whose format bounds their length already.
BOUNDED_FORMATS = {"date", "date-time", "time"}


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"][name]
    return node


def _walk(spec: dict, node: dict, where: str, seen: frozenset) -> Iterator[tuple[str, dict]]:
    ref = node.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    node = _resolve(spec, node)
    if node.get("readOnly"):
        return
    yield where, node
    for name, prop in node.get("properties", {}).items():
        yield from _walk(spec, prop, f"{where}.{name}", seen)
    if isinstance(node.get("items"), dict):
        yield from _walk(spec, node["items"], f"{where}[]", seen)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(spec, node["additionalProperties"], f"{where}{{}}", seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(key, [])):
            yield from _walk(spec, sub, f"{where}<{key}{i}>", seen)


def inputs(spec: dict) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, schema)`` of every value a request may carry: parameters and bodies."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            op = f"{method.upper()} {path}"
            for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if "schema" in param:
                    where = f"{op} {param['in']}:{param['name']}"
                    yield from _walk(spec, param["schema"], where, frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                if "schema" in content:
                    yield from _walk(spec, content["schema"], f"{op} body", frozenset())


def unbounded(spec: dict) -> list[str]:
    """Strings without maxLength and arrays without maxItems that a request may carry."""
    found = []
    for where, node in inputs(spec):
        kind = node.get("type")
        if kind == "string" and not (
            "maxLength" in node or "enum" in node or node.get("format") in BOUNDED_FORMATS
        ):
            found.append(f"{where}: string without maxLength")
        elif kind == "array" and "maxItems" not in node:
            found.append(f"{where}: array without maxItems")
    return sorted(set(found))
