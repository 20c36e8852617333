"""What a report answers with: JSON, CSV (``Accept: text/csv`` or ``?format=csv``) or SVG."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, request

from services.crm.analytics.adapters.csv_export import lines
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.handlers.employees import locale_of
from shared.i18n import LOCALES

MIMETYPES = {"json": "application/json", "csv": "text/csv", "svg": "image/svg+xml"}


def wanted(format_: str | None, offered: Sequence[str]) -> str:
    """The format asked for by ``?format=`` or else the Accept header; JSON by default."""
    if format_ is not None:
        return format_
    best = request.accept_mimetypes.best_match([MIMETYPES[f] for f in offered], "application/json")
    return next(f for f in offered if MIMETYPES[f] == best)


def csv(name: str, columns: Sequence[str], result: dict[str, Any]) -> Response:
    filters = result.get("filters", {})
    filename = "-".join(str(p) for p in (name, filters.get("from"), filters.get("to")) if p)
    return Response(
        lines(columns, result["rows"]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def reader_locale() -> str:
    """The reader's language: the catalogue's that Accept-Language asks for, else the one the
    employee chose (as pages, reminders and e-mails are written)."""
    asked = request.accept_languages.best_match(LOCALES)
    if asked:
        return asked
    with unit_of_work() as session:
        return locale_of(session, actor().id)
