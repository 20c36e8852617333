"""Who may read and change a customer's or a deal's records: the one ownership rule.

A sales department works by ownership. A manager changes the customers and deals they
are responsible for; the head of sales changes those of the managers of their
department; admins change everything. Customers nobody is responsible for yet are the
sales staff's shared pool. Reading is wider: the sales staff of the owner's department
read its customers and deals, secretaries read every customer (they route incoming
calls to the right manager), the execution department reads customers (it fulfils
their orders) but not deals. Every write that touches a customer's plan, status,
responsible manager, documents or orders goes through :func:`require_change`.

Work (tasks, planned calls) is read by whom it is given to, the head of that person's
department and admins (:func:`covers`). A task's outcome may move its customer's plan or
status (a call back, a refusal, a new status) with the authority of whoever gave the task:
the system (the calling loop gave the call, the process the step) or an author who may
change the customer; a task one set oneself carries only one's own (:func:`may_act_through`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.crm.domain.errors import Forbidden, NotFound
from services.crm.domain.roles import Actor, Role

SALES = frozenset({Role.MANAGER, Role.HEAD_OF_SALES})
EXECUTION = frozenset({Role.EXECUTOR, Role.HEAD_OF_EXECUTION})
HEADS = frozenset({Role.HEAD_OF_SALES, Role.HEAD_OF_EXECUTION})


@dataclass(frozen=True)
class Owner:
    """Who owns a record: its responsible manager and that manager's department."""

    responsible_id: int | None
    department: str | None


def _same_department(actor: Actor, owner: Owner) -> bool:
    # A head or manager with no department shares none: they see only their own records.
    return actor.department is not None and actor.department == owner.department


def may_change(actor: Actor, owner: Owner) -> bool:
    """Admins, the responsible manager, the head of sales of their department; the pool is sales'."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role not in SALES:
        return False
    if owner.responsible_id is None or owner.responsible_id == actor.id:
        return True
    return actor.role == Role.HEAD_OF_SALES and _same_department(actor, owner)


def may_read_customer(actor: Actor, owner: Owner) -> bool:
    """Whoever may change it, the sales staff of its department, secretaries and execution."""
    if actor.role in {Role.ADMIN, Role.SECRETARY} | EXECUTION or may_change(actor, owner):
        return True
    return actor.role in SALES and _same_department(actor, owner)


def may_read_deal(actor: Actor, owner: Owner) -> bool:
    """Whoever may change it and the other sales staff of its department; nobody else."""
    return may_change(actor, owner) or (actor.role in SALES and _same_department(actor, owner))


def may_read_figures(actor: Actor, owner: Owner) -> bool:
    """Report figures of one manager (``responsible_id``) or of a whole department (None).

    A manager's figures: whoever may change that manager's records (the manager, the head
    of sales of their department, admins). A department's: its head of sales and admins.
    """
    if owner.responsible_id is not None:
        return may_change(actor, owner)
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.HEAD_OF_SALES and _same_department(actor, owner)


def covers(actor: Actor, owner: Owner) -> bool:
    """Work given to ``owner.responsible_id``: theirs, their department head's, admins'."""
    if actor.role == Role.ADMIN:
        return True
    if owner.responsible_id is not None and owner.responsible_id == actor.id:
        return True
    return actor.role in HEADS and _same_department(actor, owner)


def may_act_through(
    completer: Actor, owner: Owner, *, given_by_system: bool, author: Actor | None
) -> bool:
    """Whether completing a task may change its customer's plan or status.

    The system's tasks carry the process's authority (a due call given to a colleague in
    turn is theirs to re-plan); a task set by hand carries its author's, if the author may
    change the customer, and otherwise only the completer's own right to change it.
    """
    if given_by_system or may_change(completer, owner):
        return True
    return author is not None and may_change(author, owner)


def require_change(actor: Actor, owner: Owner, what: str) -> None:
    """Raise Forbidden unless ``actor`` may change the record described by ``what``."""
    if not may_change(actor, owner):
        raise Forbidden(
            f"{what} belongs to another manager; only they, their head or an admin may change it"
        )


def require_read(allowed: bool, what: str, id_: object) -> None:
    """Raise NotFound when a record may not be read: its existence is not disclosed either."""
    if not allowed:
        raise NotFound(what, id_)
