"""Sales history by group of companies: a partner's deals and orders with those of all its
counterparties; deals as far as the reader may read them (services/crm/domain/access.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal
from services.crm.adapters.orm import Counterparty, Partner
from services.crm.adapters.sales import Order, OrderLine
from services.crm.domain import deals as rules
from services.crm.domain.access import may_read_customer, may_read_deal
from services.crm.domain.roles import Actor
from services.crm.handlers import deals
from services.crm.handlers.cards import owner_of
from services.crm.handlers.common import get

LIMIT = 500  # the newest of each; a group with more is read through /api/deals and /api/orders


def history(session: Session, actor: Actor, partner_id: int) -> dict[str, Any]:
    partner = get(session, Partner, partner_id, "partner")
    # Orders of the counterparties the reader may read (the ownership rule of customers).
    group = session.scalars(select(Counterparty).where(Counterparty.partner_id == partner.id)).all()
    members = [c.id for c in group if may_read_customer(actor, owner_of(session, c.responsible_id))]
    found = session.scalars(
        select(Deal)
        .where(or_(Deal.customer_id == partner.id, Deal.counterparty_id.in_([c.id for c in group])))
        .order_by(Deal.id.desc())
        .limit(LIMIT)
    ).all()
    readable = [d for d in found if may_read_deal(actor, owner_of(session, d.responsible_id))]
    amount = func.coalesce(func.sum(OrderLine.quantity * OrderLine.price), 0)
    orders = session.execute(
        select(
            Order.id,
            Order.counterparty_id,
            Order.status,
            Order.created_at,
            Order.posted_at,
            amount.label("amount"),
        )
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.counterparty_id.in_(members))
        .group_by(Order.id)
        .order_by(Order.id.desc())
        .limit(LIMIT)
    ).all()
    shown_orders = [
        {**row._mapping, "created_at": row.created_at.isoformat(), "amount": str(row.amount)}
        | {"posted_at": row.posted_at.isoformat() if row.posted_at else None}
        for row in orders
    ]
    return {
        "partner_id": partner.id,
        "counterparty_ids": [c.id for c in group],
        "deals": [deals.shown(session, d) for d in readable],
        "orders": shown_orders,
        "won_amount": sum((d.amount for d in readable if d.state == rules.WON), Decimal(0)),
        "orders_amount": sum((Decimal(o["amount"]) for o in shown_orders), Decimal(0)),
    }
