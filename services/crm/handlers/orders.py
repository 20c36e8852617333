"""Customer orders: drafted from a sales document, posted, routed to the execution department."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import Counterparty, Employee
from services.crm.adapters.sales import Contract, Item, Order, OrderLine, ProcessInstance
from services.crm.analytics.handlers import cards, recorder
from services.crm.domain import orders as rules
from services.crm.domain.documents import missing
from services.crm.domain.errors import Conflict, Forbidden, Invalid, NotFound
from services.crm.domain.process import definition
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import instances, reminders, subjects
from services.crm.handlers.common import apply, get, paginate, referenced, responsible
from shared.db import utcnow
from shared.i18n import _
from shared.messages import OrderApproved, OrderPosted, OrderRejected, OrderRouted

reminders.register_basis("order", Order)

NEW = (Order.routed_at.is_not(None), Order.taken_at.is_(None))


def load(session: Session, order_id: int, *, lock: bool = False) -> Order:
    return get(session, Order, order_id, "order", lock=lock)


def create(
    session: Session,
    instance: ProcessInstance,
    actor: Actor,
    fields: dict[str, Any],
    basis: Any,
) -> Order:
    """A draft order based on the current document, for the instance's client by default."""
    order = Order(
        process_id=instance.id,
        basis_kind="interaction",
        basis_id=basis.id,
        status=rules.DRAFT,
        author_id=actor.id,
        contacts=list(basis.contacts),
        counterparty_id=_client(session, instance),
    )
    session.add(order)
    change(session, order, fields)
    session.flush()
    instances.record(
        session,
        instance,
        "order",
        "order",
        order.id,
        actor_id=actor.id,
        responsible_id=order.responsible_id,
    )
    return order


def _client(session: Session, instance: ProcessInstance) -> int | None:
    """The counterparty the process is about (a lead's, once converted)."""
    if instance.subject_kind is None:
        return None
    kind, id_ = subjects.successor(session, instance.subject_kind, instance.subject_id)
    return id_ if kind == "counterparty" else None


def change(session: Session, order: Order, fields: dict[str, Any]) -> None:
    """Set fields of an editable order; lines are replaced whole, filled in from their items."""
    rules.check_editable(order.status)
    fields = dict(fields)
    lines = fields.pop("lines", None)
    referenced(
        session, Counterparty, fields.get("counterparty_id"), "counterparty_id", "counterparty"
    )
    contract = referenced(session, Contract, fields.get("contract_id"), "contract_id", "contract")
    executive = responsible(session, fields.get("responsible_id"))
    if executive is not None:
        rules.check_execution_responsible(executive.role)
    apply(order, fields)
    if contract is None and order.contract_id is not None:
        contract = session.get(Contract, order.contract_id)
    if contract is not None and contract.counterparty_id != order.counterparty_id:
        raise Invalid("contract_id", "the contract belongs to another counterparty")
    if lines is not None:
        session.flush()
        _set_lines(session, order, lines)
    if "loyalty_card_id" in fields or "counterparty_id" in fields:
        cards.check_for_order(session, order)


def _set_lines(session: Session, order: Order, lines: list[dict[str, Any]]) -> None:
    """Lines take from their item who fulfils them, the planned cost and time ("Planned cost
    and time", per unit, times the quantity), and the order its "grey or white"."""
    items = []
    for n, line in enumerate(lines, 1):
        item = session.get(Item, line["item_id"])
        if item is None or not item.active:
            raise Invalid("lines", f"line {n}: no item with id {line['item_id']}")
        items.append(item)
    order.accounting = rules.accounting_of([item.accounting for item in items])
    # The old lines go first: the new ones reuse their numbers.
    order.lines.clear()
    session.flush()
    order.lines.extend(
        OrderLine(
            line_no=n,
            item_id=item.id,
            quantity=line["quantity"],
            price=line["price"],
            department=item.department,
            responsible_id=item.responsible_id,
            planned_cost=rules.planned(item.planned_cost, line["quantity"], "0.01"),
            planned_hours=rules.planned(item.planned_hours, line["quantity"], "0.01"),
        )
        for n, (item, line) in enumerate(zip(items, lines, strict=True), 1)
    )
    session.flush()


def is_new_client(session: Session, order: Order) -> bool:
    """No order of this counterparty was posted before: a new client, whose source is asked."""
    earlier = session.scalar(
        select(Order.id)
        .where(
            Order.counterparty_id == order.counterparty_id,
            Order.posted_at.is_not(None),
            Order.id != order.id,
        )
        .limit(1)
    )
    return earlier is None


def _values(session: Session, order: Order) -> tuple[tuple[str, ...], dict[str, Any]]:
    step = definition("inbound_sales").step("order")
    required = rules.required_to_post(step.required, is_new_client(session, order))
    values = {name: getattr(order, name) for name in required if name != "lines"}
    values["lines"] = [
        {"item_id": li.item_id, "quantity": li.quantity, "price": li.price} for li in order.lines
    ]
    return required, values


def missing_to_post(session: Session, order: Order) -> dict[str, str]:
    """What a draft still needs before it can be posted (empty once it is complete)."""
    if order.status not in rules.EDITABLE:
        return {}
    return missing(*_values(session, order))


def shown(session: Session, orders: Any) -> Any:
    """Orders as the API shows them: each with what posting it still needs."""
    for order in orders if isinstance(orders, list) else [orders]:
        order.missing = missing_to_post(session, order)
    return orders


def post(session: Session, order: Order) -> None:
    """Post the order: open, once every required field is filled in."""
    rules.check_postable(order.status, *_values(session, order))
    cards.check_for_order(session, order)  # still valid on the day it is posted
    order.status, order.posted_at = rules.OPEN, utcnow()
    instances.mark_done(session, "order", order.id, "order", "posted")
    outbox.record(
        session,
        "order",
        order.id,
        OrderPosted(
            order_id=order.id,
            process_id=order.process_id,
            counterparty_id=order.counterparty_id,
            requires_approval=bool(order.requires_approval),
            total=rules.total(order.lines),
            posted_at=order.posted_at,
        ),
    )


def decided(session: Session, order: Order, approved: bool) -> None:
    """The approver answered: ``OrderApproved`` or ``OrderRejected``."""
    decision = OrderApproved if approved else OrderRejected
    outbox.record(
        session,
        "order",
        order.id,
        decision(order_id=order.id, process_id=order.process_id, decided_at=utcnow()),
    )


def route(session: Session, order: Order, delay_seconds: int) -> None:
    """Send the order to execution: to its executor now, or to the head of the execution
    department (or a deputy) named instead, who gets the reminder and names an executor."""
    order.routed_at = utcnow()
    recorder.order_routed(session, order)
    executive = session.get(Employee, order.responsible_id)
    if rules.executor_named(executive.role):
        hand_to(session, order, executive.id, delay_seconds)
        return
    client = session.get(Counterparty, order.counterparty_id)
    reminders.remind_later(
        session,
        executive.id,
        _("New order No. {order} for {client}: name its executor"),
        delay_seconds,
        "order",
        order.id,
        order=order.id,
        client=client.name,
    )
    _routed(session, order)


def hand_to(session: Session, order: Order, executor_id: int, delay_seconds: int) -> None:
    order.executor_id = executor_id
    client = session.get(Counterparty, order.counterparty_id)
    reminders.remind_later(
        session,
        executor_id,
        _("New order No. {order} for {client}: ship by {date}"),
        delay_seconds,
        "order",
        order.id,
        order=order.id,
        client=client.name,
        date=order.shipping_date.isoformat(),
    )
    _routed(session, order)


def _routed(session: Session, order: Order) -> None:
    outbox.record(
        session,
        "order",
        order.id,
        OrderRouted(
            order_id=order.id,
            process_id=order.process_id,
            responsible_id=order.responsible_id,
            executor_id=order.executor_id,
            routed_at=order.routed_at,
        ),
    )


def name_executor(session: Session, actor: Actor, order: Order, executor_id: int) -> Employee:
    """The head of execution (or a deputy) passes an order that reached them to an executor."""
    if actor.role not in (Role.HEAD_OF_EXECUTION, Role.ADMIN):
        raise Forbidden("only the head of the execution department names the executor")
    if order.routed_at is None or order.executor_id is not None:
        raise Conflict("only an order waiting for its executor can be passed on")
    executor = responsible(session, executor_id, "executor_id")
    if executor.role != Role.EXECUTOR:
        raise Invalid("executor_id", "must be an executor")
    return executor


def take(session: Session, actor: Actor, order_id: int) -> Order:
    """The executor takes a new order into work; it leaves the new-orders lists."""
    order = load(session, order_id, lock=True)
    if order.executor_id != actor.id and actor.role != Role.ADMIN:
        raise NotFound("order", order_id)
    if order.taken_at is not None:
        raise Conflict("the order is already taken")
    order.taken_at = utcnow()
    return order


def list_new(
    session: Session, actor: Actor, *, page: int, page_size: int
) -> tuple[list[Order], int]:
    """New orders: an executor's own; a head of execution's department's; an admin's all."""
    stmt = select(Order).where(*NEW).order_by(Order.routed_at, Order.id)
    if actor.role == Role.EXECUTOR:
        stmt = stmt.where(Order.executor_id == actor.id)
    elif actor.role == Role.HEAD_OF_EXECUTION:
        stmt = stmt.join(Employee, Employee.id == Order.responsible_id).where(
            (Order.responsible_id == actor.id) | (Employee.department == actor.department)
        )
    elif actor.role != Role.ADMIN:
        raise Forbidden("new orders are the execution department's list")
    return paginate(session, stmt, page, page_size)


def list_orders(
    session: Session, *, page: int, page_size: int, **equal: Any
) -> tuple[list[Order], int]:
    stmt = select(Order).order_by(Order.id.desc())
    for name, value in equal.items():
        if value is not None:
            stmt = stmt.where(getattr(Order, name) == value)
    return paginate(session, stmt, page, page_size)
