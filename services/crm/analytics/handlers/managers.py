"""Manager performance: calls planned and made, on time, overdue work, the 5-minute rule,
ranked within each department. Figures come from sources; deals add theirs with
:func:`register_source` (opened, won, lost, conversion, cycle length, won amount)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.adapters.work import Task
from services.crm.analytics.adapters.tables import ManagerDay
from services.crm.analytics.domain.ranking import rank_within, share
from services.crm.analytics.handlers.scope import Filters
from services.crm.domain.roles import Role
from services.crm.domain.tasks import OPEN
from shared.db import utcnow

Figures = dict[int, dict[str, Any]]


@dataclass(frozen=True)
class Source:
    """Columns of the report and how to fetch them for managers (None: every manager)."""

    columns: tuple[str, ...]
    fetch: Callable[[Session, Filters, list[int] | None], Figures]


SUMMED = (
    "planned_calls",
    "calls_made",
    "calls_on_time",
    "calls_cancelled",
    "tasks_overdue",
    "first_contacts",
    "first_contacts_in_time",
)


def _work(session: Session, filters: Filters, ids: list[int] | None) -> Figures:
    """Sums of the manager-day aggregates over the period."""
    stmt = (
        select(
            ManagerDay.manager_id,
            *(func.sum(getattr(ManagerDay, name)).label(name) for name in SUMMED),
            func.sum(ManagerDay.first_contact_seconds).label("seconds"),
        )
        .where(ManagerDay.day.between(filters.period.start, filters.period.end))
        .group_by(ManagerDay.manager_id)
    )
    if ids is not None:
        stmt = stmt.where(ManagerDay.manager_id.in_(ids))
    if filters.process_kind is not None:
        stmt = stmt.where(ManagerDay.process_kind == filters.process_kind)
    figures = {}
    for row in session.execute(stmt):
        values = {name: int(getattr(row, name)) for name in SUMMED}
        contacts = values["first_contacts"]
        figures[row.manager_id] = {
            **values,
            "made_share": share(values["calls_made"], values["planned_calls"]),
            "on_time_share": share(values["calls_on_time"], values["planned_calls"]),
            "first_contacts_in_time_share": share(values["first_contacts_in_time"], contacts),
            "first_contact_avg_seconds": round(row.seconds / contacts, 1) if contacts else None,
        }
    return figures


def _overdue_now(session: Session, filters: Filters, ids: list[int] | None) -> Figures:
    """Open tasks past due right now: read from the open tasks only (an index range)."""
    stmt = (
        select(Task.assignee_id, func.count())
        .where(Task.state == OPEN, Task.due_at < utcnow())
        .group_by(Task.assignee_id)
    )
    if ids is not None:
        stmt = stmt.where(Task.assignee_id.in_(ids))
    return {assignee: {"overdue_now": count} for assignee, count in session.execute(stmt)}


SOURCES: list[Source] = [
    Source(
        (
            *SUMMED[:2],
            "made_share",
            "calls_on_time",
            "on_time_share",
            *SUMMED[3:],
            "first_contacts_in_time_share",
            "first_contact_avg_seconds",
        ),
        _work,
    ),
    Source(("overdue_now",), _overdue_now),
]
RANKABLE = ["on_time_share", "made_share", "calls_made", "first_contacts_in_time_share"]


def register_source(source: Source, rankable: tuple[str, ...] = ()) -> None:
    """Add columns (deals opened, won, lost...) to the report; ``rankable`` may rank it."""
    SOURCES.append(source)
    RANKABLE.extend(rankable)


def columns() -> tuple[str, ...]:
    return (
        "manager_id",
        "name",
        "department",
        *(c for s in SOURCES for c in s.columns),
        "rank",
    )


def report(session: Session, filters: Filters, *, rank_by: str = "on_time_share") -> dict:
    """One row per sales employee in scope (and anyone else with figures), ranked."""
    figures: Figures = {}
    for source in SOURCES:
        for manager_id, values in source.fetch(session, filters, filters.manager_ids).items():
            figures.setdefault(manager_id, {}).update(values)
    staff = select(Employee).where(
        or_(
            Employee.id.in_(figures),
            Employee.role.in_((Role.MANAGER, Role.HEAD_OF_SALES)) & Employee.active,
        )
    )
    if filters.manager_ids is not None:
        staff = staff.where(Employee.id.in_(filters.manager_ids))
    empty = {c: None if c.endswith(("share", "seconds")) else 0 for s in SOURCES for c in s.columns}
    rows = [
        {
            "manager_id": e.id,
            "name": e.name,
            "department": e.department,
            **empty,
            **figures.get(e.id, {}),
        }
        for e in session.scalars(staff.order_by(Employee.department, Employee.name, Employee.id))
    ]
    rank_within(rows, "department", rank_by)
    return {"filters": filters.echo(), "rank_by": rank_by, "rows": rows}
