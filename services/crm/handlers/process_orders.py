"""Customer orders in the sales process: posting, approval, and the road to an executor."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.crm.adapters.sales import Order, ProcessInstance
from services.crm.domain import orders as order_rules
from services.crm.domain import process as rules
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Actor
from services.crm.handlers import documents, instances, orders, ownership
from shared.db import utcnow

PROCESS = rules.INBOUND_SALES


def post_order(session: Session, actor: Actor, order_id: int, *, delay_seconds: int) -> Order:
    """Post an order (422 naming each missing field): to approval, or on to execution."""
    instance, order = instances.lock_with(session, Order, order_id, "order")
    rules.check_performer(PROCESS.step("order"), actor.role)
    ownership.require_change_of(session, actor, "counterparty", order.counterparty_id)
    if instance.state != rules.ACTIVE:
        raise Conflict(f"the process is {instance.state}")
    orders.post(session, order)
    if order.requires_approval:
        step = PROCESS.step("order_approval")
        documents.create(
            session,
            instance,
            step,
            None,
            {
                "subject_kind": "counterparty",
                "subject_id": order.counterparty_id,
                "contacts": list(order.contacts),
                "responsible_id": order.author_id,
                "content": order.comment,
            },
            basis=("order", order.id),
        )
    else:
        _to_execution(session, instance, order, delay_seconds)
    return order


def order_decided(
    session: Session, instance: ProcessInstance, order: Order, outcome: str, delay_seconds: int
) -> None:
    orders.decided(session, order, outcome == "approved")
    if outcome == "approved":
        order.status, order.approved_at = order_rules.APPROVED, utcnow()
        _to_execution(session, instance, order, delay_seconds)
    else:
        order.status = order_rules.REJECTED  # the manager may correct it and post it again


def _to_execution(
    session: Session, instance: ProcessInstance, order: Order, delay_seconds: int
) -> None:
    """The order reaches its executor or the head of execution named instead; either way it
    shows in their new orders, they get a reminder, and the process closes (document 002)."""
    orders.route(session, order, delay_seconds)
    instances.finish(
        session,
        instance,
        rules.COMPLETED,
        "execution",
        ("order", order.id),
        actor_id=None,
        responsible_id=order.executor_id or order.responsible_id,
    )


def update_order(session: Session, actor: Actor, order_id: int, changes: dict[str, Any]) -> Order:
    order = orders.load(session, order_id, lock=True)
    rules.check_performer(PROCESS.step("order"), actor.role)
    ownership.require_change_of(session, actor, "counterparty", order.counterparty_id)
    orders.change(session, order, changes)
    ownership.require_change_of(session, actor, "counterparty", order.counterparty_id)  # new one
    return order


def pass_order(
    session: Session, actor: Actor, order_id: int, executor_id: int, *, delay_seconds: int
) -> Order:
    """The head of execution names the executor of an order that reached them."""
    _, order = instances.lock_with(session, Order, order_id, "order")
    executor = orders.name_executor(session, actor, order, executor_id)
    orders.hand_to(session, order, executor.id, delay_seconds)
    return order
