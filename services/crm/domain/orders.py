"""Rules of the customer order: what posting needs, when it waits for approval, whom it reaches.

An order is a draft until the manager posts it (status "open"). An order that requires
approval waits for the "Approve the order" event; once approved (or when it needs no
approval) it goes to execution: straight to the executor the manager named, or to the head
of the execution department (or a deputy) who names one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.crm.domain.documents import check_complete
from services.crm.domain.errors import Conflict, Invalid
from services.crm.domain.roles import Role

DRAFT, OPEN, APPROVED, REJECTED = "draft", "open", "approved", "rejected"
STATUSES = (DRAFT, OPEN, APPROVED, REJECTED)
# Editable and postable: a draft, or an order the approver sent back.
EDITABLE = (DRAFT, REJECTED)
EXECUTION_ROLES = (Role.EXECUTOR, Role.HEAD_OF_EXECUTION)


def required_to_post(required: tuple[str, ...], new_client: bool) -> tuple[str, ...]:
    """The order step's required fields; the source only for a client's first order."""
    return required if new_client else tuple(f for f in required if f != "source")


def check_postable(status: str, required: tuple[str, ...], values: dict[str, Any]) -> None:
    if status not in EDITABLE:
        raise Conflict(f"the order is {status} and cannot be posted again")
    check_complete(required, values)


def check_editable(status: str) -> None:
    if status not in EDITABLE:
        raise Conflict(f"the order is {status} and can no longer change")


def check_execution_responsible(role: str, field: str = "responsible_id") -> None:
    if role not in EXECUTION_ROLES:
        raise Invalid(field, "must be an executor or the head of the execution department")


def goes_to_execution(status: str, requires_approval: bool) -> bool:
    return status == APPROVED or (status == OPEN and not requires_approval)


def executor_named(role: str) -> bool:
    """An executor named on the order gets it at once; a head of execution passes it on."""
    return role == Role.EXECUTOR


def line_amount(quantity: Decimal, price: Decimal) -> Decimal:
    return (quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def total(lines: Iterable[Any]) -> Decimal:
    """The sum of the lines' amounts (rows with ``quantity`` and ``price``)."""
    return sum((line_amount(li.quantity, li.price) for li in lines), Decimal("0.00"))


def planned(per_unit: Decimal | None, quantity: Decimal, places: str) -> Decimal | None:
    """A line's planned cost or time: the item's per unit times the quantity."""
    if per_unit is None:
        return None
    return (per_unit * Decimal(quantity)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def accounting_of(kinds: list[str]) -> str | None:
    """An order's "grey or white", from its items; one order never mixes the two."""
    found = set(kinds)
    if len(found) > 1:
        raise Invalid("lines", "grey and white items go on separate orders")
    return found.pop() if found else None


def item_terms(item: Any) -> dict[str, Any]:
    """What a work assignment takes from its item, as JSON primitives."""
    return {
        "item_id": item.id,
        "name": item.name,
        "accounting": item.accounting,
        "planned_cost": None if item.planned_cost is None else str(item.planned_cost),
        "planned_hours": None if item.planned_hours is None else str(item.planned_hours),
    }
