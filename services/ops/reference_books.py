"""Reference books (interaction statuses, refusal reasons) as one JSON document, out and in.

Entries are matched by name. Import creates the missing ones and edits the changed ones
through the CRM's own use cases, so a changed call interval re-plans its subjects exactly
as an edit in the API does. Entries absent from the document are left alone: deactivate
one with ``"active": false`` rather than deleting it.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy.orm import Session

from services.crm.adapters.orm import InteractionStatus, RefusalReason
from services.crm.domain.roles import Actor, Role
from services.crm.entrypoints.api.schemas import InteractionStatusSchema, RefusalReasonSchema
from services.crm.handlers import reference
from shared.db import utcnow

FORMAT = "crm-reference-books/1"
BOOKS: dict[str, tuple[type[InteractionStatus] | type[RefusalReason], type[ma.Schema]]] = {
    "interaction_statuses": (InteractionStatus, InteractionStatusSchema),
    "refusal_reasons": (RefusalReason, RefusalReasonSchema),
}
# The person at the console: the reference-book use cases require an admin.
OPERATOR = Actor(0, Role.ADMIN)


class Rejected(ValueError):
    """The document is not a reference-book export; the message names the field."""


def export(session: Session) -> dict[str, Any]:
    """Every entry of every book, in sort order, with the fields an admin can edit."""
    document: dict[str, Any] = {"format": FORMAT, "exported_at": utcnow().isoformat()}
    for key, (model, schema_class) in BOOKS.items():
        schema = schema_class()
        editable = _editable(schema)
        document[key] = [
            {name: value for name, value in schema.dump(row).items() if name in editable}
            for row in reference.list_entries(session, model)
        ]
    return document


def import_(session: Session, document: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Create or edit entries to match the document; counts per book.

    Raises:
      Rejected: wrong format, or an entry that fails its schema (nothing is changed).
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise Rejected(f"format: expected {FORMAT!r}")
    loaded = {}
    for key, (_model, schema_class) in BOOKS.items():
        try:
            loaded[key] = schema_class(many=True).load(document.get(key, []))
        except ma.ValidationError as exc:
            raise Rejected(f"{key}: {exc.messages}") from None
    return {key: _apply(session, BOOKS[key][0], entries) for key, entries in loaded.items()}


def _apply(session: Session, model: type[Any], entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {row.name: row for row in reference.list_entries(session, model)}
    for entry in entries:
        row = existing.get(entry["name"])
        if row is None:
            existing[entry["name"]] = reference.create_entry(session, OPERATOR, model, entry)
            counts["created"] += 1
            continue
        changes = {name: value for name, value in entry.items() if getattr(row, name) != value}
        if changes:
            reference.update_entry(session, OPERATOR, model, row.id, changes)
        counts["updated" if changes else "unchanged"] += 1
    return counts


def _editable(schema: ma.Schema) -> set[str]:
    return {name for name, field in schema.fields.items() if not field.dump_only}
