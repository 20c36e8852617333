"""Forms read with the API's own schemas, and every refusal turned into errors beside fields.

A page's form is parsed by the same marshmallow schema as the API's JSON body, then handed
to the same handler. What the schema or the handler refuses comes back as ``{field: [reasons]}``
in the reader's language, and the page is shown again with the values they typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from services.crm.domain import deals
from services.crm.domain.documents import Incomplete
from services.crm.domain.errors import Invalid
from services.crm.entrypoints.web.base import t
from shared.i18n import _

T = TypeVar("T")

# marshmallow's own messages, marked here so the catalogue translates them.
MARSHMALLOW = (
    _("Missing data for required field."),
    _("Not a valid integer."),
    _("Not a valid datetime."),
    _("Not a valid date."),
    _("Not a valid email address."),
    _("Not a valid boolean."),
    _("Unknown field."),
)


class FormError(Exception):
    """A form the user must correct: ``errors`` maps each field to its reasons."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def values(form: MultiDict, lists: Iterable[str] = ()) -> dict[str, Any]:
    """The filled-in fields of a submitted form; an empty field counts as not given."""
    data: dict[str, Any] = {}
    for name in form:
        if name == "csrf_token":
            continue
        if name in lists:
            data[name] = [v for v in form.getlist(name) if v.strip()]
        elif form[name].strip():
            data[name] = form[name].strip()
    return data


def typed(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Form text as JSON would carry it: whole numbers of integer fields become ints (the API's
    ids are strict integers, since JSON has a number type and a form does not)."""
    return {
        name: int(value)
        if isinstance(schema.fields.get(name), ma.fields.Integer)
        and isinstance(value, str)
        and value.isdigit()
        else value
        for name, value in data.items()
    }


def load(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Load form text with an API schema, its whole numbers typed first."""
    try:
        return schema.load(typed(schema, data))
    except ma.ValidationError as exc:
        raise FormError(_flatten(exc.messages)) from None


def attempt(action: Callable[[], T]) -> T:
    """Run a handler call; a refusal about fields becomes a FormError in the reader's words."""
    try:
        return action()
    except (Incomplete, deals.Incomplete) as exc:
        raise FormError({f: [t(r)] for f, r in exc.missing.items()}) from None
    except Invalid as exc:
        raise FormError({exc.field: [t(exc.reason)]}) from None


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, reasons in messages.items() if isinstance(messages, dict) else [("", messages)]:
        key = f"{prefix}{name}"
        if isinstance(reasons, dict):
            flat.update(_flatten(reasons, f"{key}."))
        else:
            flat[key] = [t(str(r)) for r in (reasons if isinstance(reasons, list) else [reasons])]
    return flat
