"""The API's fields for instants and days: one window, documented in the OpenAPI schema."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts import EARLIEST, FIRST_DAY, LAST_DAY, LATEST, within_window

WINDOW = "Lies between 2000-01-01 and 2100-01-01 UTC."


def _documented(kwargs: dict, bounds: dict) -> dict:
    """``kwargs`` with the window added to the field's description and OpenAPI metadata."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["description"] = " ".join(filter(None, (metadata.get("description"), WINDOW)))
    return {**kwargs, "metadata": {**bounds, **metadata}}


class Instant(fields.AwareDateTime):
    """An ISO-8601 instant with its offset, in the system's window (2000 to 2100 UTC)."""

    def __init__(self, **kwargs):
        bounds = {"x-minimum": EARLIEST.isoformat(), "x-maximum": LATEST.isoformat()}
        super().__init__(format="iso", **_documented(kwargs, bounds))

    def _deserialize(self, value, attr, data, **kwargs):
        return within_window(super()._deserialize(value, attr, data, **kwargs))


def Day(**kwargs) -> fields.Date:
    """A calendar day in the system's window."""
    bounds = {"x-minimum": FIRST_DAY.isoformat(), "x-maximum": LAST_DAY.isoformat()}
    return fields.Date(
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **_documented(kwargs, bounds)
    )
