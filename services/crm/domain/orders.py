"""Rules of the customer order: what posting needs, when it waits for approval, whom it reaches.

An order is a draft until the manager posts it (status "open"). An order that requires
approval waits for the "Approve the order" event; once approved (or when it needs no
approval) it goes to execution: straight to the executor the manager named, or to the head
of the execution department (or a deputy) who names one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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


def check_postable(status: str, required: tuple[str, ...], values: dict) -> None:
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
