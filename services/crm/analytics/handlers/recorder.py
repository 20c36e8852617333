"""The write side of the read model: each fact adds to its aggregates, in its own transaction.

The use cases call these functions where the fact happens (the module docstring of
``services/crm/analytics`` says why here and not in a view refresh or an event consumer).
``adapters/rebuild.py`` computes the same aggregates from the history; the two must agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Employee
from services.crm.adapters.sales import Item, Order, ProcessInstance
from services.crm.adapters.work import Interaction, Task
from services.crm.analytics.adapters.records import LoyaltyCard
from services.crm.analytics.adapters.tables import (
    CardMonth,
    Customer,
    CustomerMonth,
    CustomerMonthTotal,
    GroupMonth,
    Loss,
    ManagerDay,
)
from services.crm.analytics.domain import kinds
from services.crm.analytics.domain.cards import discount_of
from services.crm.analytics.domain.periods import (
    local_day,
    made_on_time,
    month_of,
    within_first_contact_limit,
)
from services.crm.analytics.handlers import spans
from services.crm.domain.orders import line_amount
from shared.db import table_of


def _bump(
    session: Session,
    model: type[Any],
    key: dict[str, Any],
    add: dict[str, Any],
    *,
    latest: dict[str, Any] | None = None,
    earliest: dict[str, Any] | None = None,
    constraint: str | None = None,
) -> None:
    """Add ``add`` to the row of ``key`` (made if missing); keep the latest/earliest moments."""
    latest, earliest = latest or {}, earliest or {}
    row = {**key, **add, **latest, **earliest}
    _bump_rows(session, model, [row], add, latest=latest, earliest=earliest, constraint=constraint)


def _bump_rows(
    session: Session,
    model: type[Any],
    rows: list[dict[str, Any]],
    add: Iterable[str],
    *,
    latest: Iterable[str] = (),
    earliest: Iterable[str] = (),
    constraint: str | None = None,
) -> None:
    """:func:`_bump` for many rows in one statement: each key at most once, in key order."""
    stmt = insert(model).values(rows)
    table = table_of(model)
    set_ = {name: table.c[name] + stmt.excluded[name] for name in add}
    set_ |= {name: func.greatest(table.c[name], stmt.excluded[name]) for name in latest}
    set_ |= {name: func.least(table.c[name], stmt.excluded[name]) for name in earliest}
    if constraint:
        stmt = stmt.on_conflict_do_update(constraint=constraint, set_=set_)
    else:
        stmt = stmt.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=set_)
    session.execute(stmt)


def _timezone(session: Session, employee_id: int | None) -> str:
    employee = session.get(Employee, employee_id) if employee_id else None
    return employee.timezone if employee else "UTC"


def _manager_day(session: Session, manager_id: int, at: datetime, kind: str, **add: float) -> None:
    day = local_day(at, _timezone(session, manager_id))
    _bump(session, ManagerDay, {"manager_id": manager_id, "day": day, "process_kind": kind}, add)


def _day_of(task: Task) -> datetime:
    """The moment a task belongs to: a call's planned moment (its task is due only at the end
    of that working day), any other task's due time; rebuild.py's TASK_MOMENT mirrors it."""
    return task.planned_at or task.due_at


def tasks_opened(session: Session, tasks: Iterable[Task]) -> None:
    """A call task is a planned call of its assignee on the day it is planned for: the calls of
    a group counted per assignee and day in one statement, its rows taken in key order (two
    groups counting calls on the same days never wait for each other in a cycle)."""
    planned = Counter(
        (task.assignee_id, local_day(_day_of(task), _timezone(session, task.assignee_id)))
        for task in tasks
        if task.kind == "call"
    )
    if not planned:
        return
    rows = [
        {"manager_id": manager, "day": day, "process_kind": kinds.CALLING_LOOP, "planned_calls": n}
        for (manager, day), n in sorted(planned.items())
    ]
    _bump_rows(session, ManagerDay, rows, ("planned_calls",))


def task_done(session: Session, task: Task, *, refused: bool) -> None:
    """A call made (on time or not); a refusal is a loss at the task's step."""
    if task.kind == "call":
        zone = _timezone(session, task.assignee_id)
        on_time = made_on_time(_day_of(task), task.completed_at, zone)
        _manager_day(
            session,
            task.assignee_id,
            _day_of(task),
            kinds.CALLING_LOOP,
            calls_made=1,
            calls_on_time=int(on_time),
        )
    if refused:
        lost(
            session,
            at=task.completed_at,
            process_kind=kinds.of_task(task.kind),
            stage=task.kind,
            reason_id=task.refusal_reason_id,
            manager_id=task.assignee_id,
        )


def task_cancelled(session: Session, task: Task) -> None:
    if task.kind == "call":
        day = _day_of(task)
        _manager_day(session, task.assignee_id, day, kinds.CALLING_LOOP, calls_cancelled=1)


def task_escalated(session: Session, task: Task) -> None:
    """A task left open past the escalation limit counts on its day."""
    day = _day_of(task)
    _manager_day(session, task.assignee_id, day, kinds.of_task(task.kind), tasks_overdue=1)


def first_contact_taken(session: Session, doc: Interaction) -> None:
    """The manager took up a request's first contact: how long after it was handed over."""
    if doc.step != "first_contact" or doc.responsible_id is None or doc.started_at is None:
        return
    in_time = within_first_contact_limit(doc.created_at, doc.started_at)
    _manager_day(
        session,
        doc.responsible_id,
        doc.created_at,
        kinds.INBOUND_SALES,
        first_contacts=1,
        first_contacts_in_time=int(in_time),
        first_contact_seconds=(doc.started_at - doc.created_at).total_seconds(),
    )


def process_refused(
    session: Session, instance: ProcessInstance, at: datetime, reason_id: int, manager_id: int
) -> None:
    """The client refused in the inbound process, at its current main step."""
    lost(
        session,
        at=at,
        process_kind=kinds.of_process(instance.kind),
        stage=instance.current_step,
        reason_id=reason_id,
        manager_id=manager_id,
    )


def lost(
    session: Session,
    *,
    at: datetime,
    process_kind: str,
    stage: str,
    reason_id: int | None,
    manager_id: int | None,
    competitor_id: int | None = None,
    amount: Decimal | int = 0,
) -> None:
    """A customer lost: a refusal in the loop or the inbound process, or (later) a lost deal."""
    key = {
        "day": local_day(at, _timezone(session, manager_id)),
        "process_kind": process_kind,
        "stage": stage,
        "reason_id": reason_id,
        "competitor_id": competitor_id,
        "manager_id": manager_id,
    }
    _bump(session, Loss, key, {"count": 1, "amount": amount}, constraint="uq_analytics_losses_key")


def order_routed(session: Session, order: Order) -> None:
    """An order reached execution: revenue of its customer, its item groups and its card."""
    at = order.routed_at
    month = month_of(at.astimezone(UTC).date())
    instance = session.get(ProcessInstance, order.process_id) if order.process_id else None
    kind = kinds.of_process(instance.kind if instance else None)
    total = sum((line_amount(li.quantity, li.price) for li in order.lines), Decimal("0.00"))
    if order.counterparty_id is not None:
        key = {"counterparty_id": order.counterparty_id, "month": month}
        for model, of_kind in ((CustomerMonth, {"process_kind": kind}), (CustomerMonthTotal, {})):
            add = {"orders": 1, "revenue": total}
            _bump(session, model, key | of_kind, add, latest={"last_order_at": at})
        spans.order_added(session, order.counterparty_id, month, total, at)
        _bump(
            session,
            Customer,
            {"counterparty_id": order.counterparty_id},
            {"orders": 1, "revenue": total},
            latest={"last_order_at": at},
            earliest={"first_order_at": at},
        )
    groups: dict[int | None, list[Decimal]] = {}
    for line in order.lines:
        group = session.get(Item, line.item_id).group_id
        quantity, amount = groups.setdefault(group, [Decimal(0), Decimal(0)])
        groups[group] = [quantity + line.quantity, amount + line_amount(line.quantity, line.price)]
    for group, (quantity, amount) in groups.items():
        key = {
            "group_id": group,
            "month": month,
            "process_kind": kind,
            "manager_id": order.author_id,
        }
        add = {"orders": 1, "quantity": quantity, "revenue": amount}
        _bump(session, GroupMonth, key, add, constraint="uq_analytics_group_months_key")
    if order.loyalty_card_id is not None:
        card = session.get(LoyaltyCard, order.loyalty_card_id)
        add = {"orders": 1, "amount": total, "discount": discount_of(total, card.discount_percent)}
        _bump(session, CardMonth, {"card_id": card.id, "month": month}, add)
