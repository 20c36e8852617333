"""Test data made through the CRM's own use cases."""

from __future__ import annotations

import itertools

from services.crm.handlers.employees import create_employee, issue_token
from shared import config
from shared.db import transaction

_seq = itertools.count(1)


def employee(sessions, role: str = "manager", **fields) -> tuple[int, str]:
    """A new employee of ``role`` and a bearer token for it."""
    n = next(_seq)
    data = {
        "name": f"{role.title()} {n}",
        "email": f"{role}{n}@example.com",
        "role": role,
        **fields,
    }
    with transaction(sessions) as session:
        emp = create_employee(session, None, data, config.load())
        return emp.id, issue_token(session, None, emp.id)


def web_user(sessions, role: str = "manager", password: str = "correct horse battery", **fields):
    """An employee who signs in to the web workspace: (id, e-mail, password, bearer token)."""
    from services.crm.adapters.orm import Employee
    from services.crm.handlers.accounts import hasher

    employee_id, token = employee(sessions, role, **fields)
    with transaction(sessions) as session:
        person = session.get(Employee, employee_id)
        person.password_hash = hasher.hash(password)
        return employee_id, person.email, password, token


def buyers(
    session, admin_id: int, settings, names, *, responsible_id: int | None = None
) -> tuple[int, list[int]]:
    """An item to sell and counterparties of one partner, named ``names``: (item, their ids)."""
    from services.crm.domain.roles import Actor, Role
    from services.crm.handlers import counterparties, partners
    from services.crm.handlers.catalogue import create_item

    boss = Actor(admin_id, Role.ADMIN)
    item = create_item(session, boss, {"name": f"Item {next(_seq)}"}).id
    partner = partners.create_partner(session, boss, {"name": f"Partner {next(_seq)}"}).id
    fields = {"partner_id": partner, "kind": "legal_entity", "responsible_id": responsible_id}
    ids = [
        counterparties.create_counterparty(session, boss, {"name": name, **fields}, settings).id
        for name in names
    ]
    return item, ids


def routed_order(
    session,
    counterparty_id: int,
    lines: list[tuple[int, str, str]],
    routed_at,
    *,
    author_id: int | None = None,
    loyalty_card_id: int | None = None,
):
    """An order that reached execution at ``routed_at``, as history: lines (item, qty, price)."""
    from decimal import Decimal

    from services.crm.adapters.sales import Order, OrderLine

    order = Order(
        status="open",
        counterparty_id=counterparty_id,
        author_id=author_id,
        loyalty_card_id=loyalty_card_id,
        posted_at=routed_at,
        routed_at=routed_at,
        lines=[
            OrderLine(line_no=n, item_id=item, quantity=Decimal(qty), price=Decimal(price))
            for n, (item, qty, price) in enumerate(lines, 1)
        ],
    )
    session.add(order)
    session.flush()
    return order
