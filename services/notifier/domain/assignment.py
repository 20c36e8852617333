"""Who takes a due call: the responsible manager, or the department's managers in turn.

The rule:
1. The subject's responsible manager, when the directory knows them and they are active
   (whatever their role: the CRM made them responsible).
2. Otherwise the active managers (role ``manager``) of the responsible's department take
   due calls in turn (round robin by employee id, after the last one who got one). When
   the responsible is unknown, has no department or the department has no active manager,
   the configured default sales department's managers take the turn.
3. No active manager there either: nobody yet (the caller retries; the directory may
   still be arriving).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.notifier.domain.directory import Person
from shared.names import Role


@dataclass(frozen=True)
class Assignment:
    """The assignee of a due call and, when it came from a rotation, which one moved."""

    assignee_id: int
    rotation: str | None = None  # the department whose turn advanced


def takes_calls_directly(responsible: Person | None) -> bool:
    """The responsible manager gets the call themselves when the directory has them active."""
    return responsible is not None and responsible.active


def rotation_departments(responsible: Person | None, default_department: str) -> list[str]:
    """Departments whose managers may take the call in turn, most specific first."""
    own = responsible.department if responsible else None
    return list(dict.fromkeys(d for d in (own, default_department) if d))


def managers_of(directory: Iterable[Person], department: str) -> list[int]:
    """Ids of the department's active managers, in rotation order."""
    return sorted(
        p.id
        for p in directory
        if p.active and p.role == Role.MANAGER and p.department == department
    )


def next_in_rotation(candidates: Sequence[int], last_id: int | None) -> int | None:
    """The candidate after ``last_id`` in id order, wrapping round; None without candidates."""
    ordered = sorted(candidates)
    if not ordered:
        return None
    if last_id is None:
        return ordered[0]
    return next((c for c in ordered if c > last_id), ordered[0])
