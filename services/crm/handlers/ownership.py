"""The ownership rule (services/crm/domain/access.py) as the use cases apply it.

Every write about a customer (a lead, a counterparty, a partner and what hangs off them:
status, responsible manager, call plan, tasks, process documents, orders, contacts) calls
:func:`require_change_of` once, in the handler, so the HTTP API, the web workspace and the
worker all get the same answer: 404 when the actor may not even read the customer (its
existence is not disclosed), 403 when they may read but not change it. ``actor`` None is
another system acting by message: a trusted system actor, never refused.

Listings of work (tasks, the calls panel) are narrowed by :func:`covered`, the SQL form of
:func:`services.crm.domain.access.covers`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, Employee, Lead, Partner
from services.crm.adapters.work import Task
from services.crm.domain.access import (
    HEADS,
    Owner,
    may_act_through,
    may_read_customer,
    require_change,
    require_read,
)
from services.crm.domain.errors import Forbidden
from services.crm.domain.roles import Actor, Role
from services.crm.handlers.common import get

CUSTOMERS: dict[str, type[Lead] | type[Counterparty] | type[Partner]] = {
    "lead": Lead,
    "counterparty": Counterparty,
    "partner": Partner,
}


def owner_of(session: Session, responsible_id: int | None) -> Owner:
    """The owner of a customer record: its manager and that manager's department."""
    manager = session.get(Employee, responsible_id) if responsible_id else None
    return Owner(responsible_id, manager.department if manager else None)


def require_change_of(
    session: Session, actor: Actor | None, kind: str | None, customer_id: int | None
) -> None:
    """Refuse the write unless ``actor`` may change the customer (``kind`` ``customer_id``).

    No customer named (a registration not yet about anyone): nothing to check here. An
    unknown customer is a 404, as is one the actor may not read; one they may read but not
    change a 403.
    """
    if actor is None or kind is None or customer_id is None:
        return
    holder: Any = get(session, CUSTOMERS[kind], customer_id, kind)
    owner = owner_of(session, holder.responsible_id)
    require_read(may_read_customer(actor, owner), kind, customer_id)
    require_change(actor, owner, f"{kind} {customer_id}")


def require_change_through(session: Session, actor: Actor, task: Task) -> None:
    """Refuse (403) a task outcome that would move its customer's plan or status (a call
    back, a refusal, a new status) unless the task or its completer carries that right."""
    if task.subject_kind is None:
        return
    holder: Any = get(session, CUSTOMERS[task.subject_kind], task.subject_id, task.subject_kind)
    owner = owner_of(session, holder.responsible_id)
    author = session.get(Employee, task.author_id) if task.author_id else None
    if not may_act_through(
        actor,
        owner,
        given_by_system=task.author_id is None,
        author=Actor(author.id, Role(author.role), author.department) if author else None,
    ):
        raise Forbidden(
            f"{task.subject_kind} {task.subject_id} belongs to another manager: only they, "
            "their head or an admin may move its calls or status"
        )


def require_read_of(
    session: Session, actor: Actor | None, kind: str | None, customer_id: int | None
) -> None:
    """404 unless ``actor`` may read the customer (a personal note about it, a reminder)."""
    if actor is None or kind is None or customer_id is None:
        return
    holder: Any = get(session, CUSTOMERS[kind], customer_id, kind)
    require_read(
        may_read_customer(actor, owner_of(session, holder.responsible_id)), kind, customer_id
    )


def covered(actor: Actor, responsible: Any) -> ColumnElement[bool]:
    """SQL: rows whose responsible employee (the column ``responsible``) ``actor`` oversees.

    Admins all; a head their department's and their own; everyone else their own. A head
    with no department oversees no one else, and rows of nobody's are the admins' alone.
    """
    if actor.role == Role.ADMIN:
        return true()
    if actor.role in HEADS and actor.department is not None:
        department = select(Employee.id).where(Employee.department == actor.department)
        return or_(responsible == actor.id, responsible.in_(department))
    return responsible == actor.id
