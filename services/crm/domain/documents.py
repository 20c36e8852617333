"""Rules of the process's documents: what "filled in" means for each required field, and the
life of an interaction (planned, in progress, completed, cancelled) with its start and end."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.crm.domain.errors import Conflict, DomainError, Invalid
from shared.i18n import _

PLANNED, IN_PROGRESS, COMPLETED, CANCELLED = "planned", "in_progress", "completed", "cancelled"
OPEN_STATES = (PLANNED, IN_PROGRESS)
# Kinds whose start and end the employee sets (until completed); for the others the system
# records the moments the interaction starts and completes.
TIMED_BY_HAND = ("meeting",)
TIMES = ("started_at", "ended_at")


class Incomplete(DomainError):
    """A document cannot be completed: ``missing`` maps each unfilled field to the reason."""

    def __init__(self, missing: Mapping[str, str]):
        super().__init__("required fields are missing: " + ", ".join(missing))
        self.missing = dict(missing)


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else _("required")


def _present(value: Any) -> str | None:
    return None if value is not None else _("required")


def contacts_problem(rows: Any) -> str | None:
    """The whole contacts table: each row names someone and says how to reach them."""
    if not rows:
        return _("at least one contact is required")
    problems = []
    for n, row in enumerate(rows, 1):
        if not (row.get("contact_person_id") or (row.get("presentation") or "").strip()):
            problems.append(f"row {n}: a contact person or a presentation is required")
        if not (row.get("phone") or row.get("email")):
            problems.append(f"row {n}: a phone or an e-mail is required")
    return "; ".join(problems) or None


def _subject(value: Any) -> str | None:
    return None if value is not None else _("a counterparty or a lead is required")


def _attachments(rows: Any) -> str | None:
    return None if rows else _("attach at least one file")


def _lines(rows: Any) -> str | None:
    if not rows:
        return _("at least one line (item, quantity, price) is required")
    problems = [
        f"line {n}: {name} is required"
        for n, row in enumerate(rows, 1)
        for name in ("item_id", "quantity", "price")
        if row.get(name) is None
    ]
    return "; ".join(problems) or None


CHECKS = {
    "topic": _text,
    "content": _text,
    "source": _text,
    "contacts": contacts_problem,
    "subject_id": _subject,
    "attachments": _attachments,
    "lines": _lines,
}


def missing(required: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, str]:
    """Each required field that is not filled in, with the reason."""
    found = {}
    for name in required:
        problem = CHECKS.get(name, _present)(values.get(name))
        if problem:
            found[name] = problem
    return found


def check_complete(required: tuple[str, ...], values: Mapping[str, Any]) -> None:
    gaps = missing(required, values)
    if gaps:
        raise Incomplete(gaps)


def check_open(state: str, what: str = "document") -> None:
    if state not in OPEN_STATES:
        raise Conflict(f"the {what} is {state} and can no longer change")


def check_edit_times(kind: str, state: str, changes: Mapping[str, Any]) -> None:
    """Start and end are the system's, except a meeting's, which stay editable until completed."""
    for name in TIMES:
        if name in changes and kind not in TIMED_BY_HAND:
            raise Invalid(name, "filled in automatically when the interaction starts and completes")
    started, ended = changes.get("started_at"), changes.get("ended_at")
    if started and ended and ended < started:
        raise Invalid("ended_at", "must not be before started_at")


def check_outcome(outcomes: tuple[str, ...], outcome: str | None) -> str:
    """The outcome a document completes with; the first one is the default."""
    if outcome is None:
        if len(outcomes) == 1:
            return outcomes[0]
        raise Invalid("outcome", f"required: one of {', '.join(outcomes)}")
    if outcome not in outcomes:
        raise Invalid("outcome", f"must be one of: {', '.join(outcomes)}")
    return outcome


def start_times(kind: str, started_at: datetime | None, now: datetime) -> datetime:
    """When an interaction starting now began: a meeting keeps the start it was given."""
    return started_at if kind in TIMED_BY_HAND and started_at else now


def completion_times(
    kind: str, started_at: datetime | None, ended_at: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """Start and end of an interaction completing now."""
    if kind in TIMED_BY_HAND:
        start = started_at or ended_at or now
        return start, ended_at or max(start, now)
    return started_at or now, now


def first_contact_kind(contacts: list[dict[str, Any]]) -> str:
    """The first contact is a call, or an e-mail when the client left no phone."""
    return "call" if any(row.get("phone") for row in contacts) else "email"
