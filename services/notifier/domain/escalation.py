"""Who hears about an overdue task: the head of the assignee's department.

The rule:
- The kind of head follows the assignee's role: executors (and heads of execution) answer
  to ``head_of_execution``; everyone else (managers, secretaries, heads of sales, an
  unassigned task) to ``head_of_sales``.
- That head is the active employee with the head role in the assignee's department
  (an unassigned task or one without a department: the default sales department);
  several heads: the lowest id, so a redelivery picks the same one.
- No such head in the department: an active head of that role anywhere in the company;
  then the configured fallback employee if active; else nobody. An assignee is never
  their own escalation.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.notifier.domain.directory import Person
from shared.names import Role


def head_role_for(role: str | None) -> str:
    """The head role an employee of ``role`` answers to."""
    if role in (Role.EXECUTOR, Role.HEAD_OF_EXECUTION):
        return Role.HEAD_OF_EXECUTION
    return Role.HEAD_OF_SALES


def escalation_recipient(
    assignee: Person | None,
    directory: Iterable[Person],
    default_department: str,
    fallback_id: int | None = None,
) -> int | None:
    """The employee to notify about an overdue task of ``assignee``; None when nobody fits."""
    people = [p for p in directory if p.active and (assignee is None or p.id != assignee.id)]
    head_role = head_role_for(assignee.role if assignee else None)
    department = (assignee.department if assignee else None) or default_department
    heads = [p for p in people if p.role == head_role]
    in_department = [p.id for p in heads if p.department == department]
    if in_department or heads:
        return min(in_department or [p.id for p in heads])
    if fallback_id and any(p.id == fallback_id for p in people):
        return fallback_id
    return None
