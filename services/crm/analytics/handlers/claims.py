"""Claims work: register, edit, resolve; the reminder before the deadline and the escalation.

Before the deadline the responsible gets an ordinary reminder (a CRM reminder the notifier
times and delivers; resolving the claim closes it, which calls the reminder off). At the
deadline a scheduler timer comes back to the CRM: a claim still open is then marked
escalated and ``ClaimOverdue`` tells the notifier, which tells the responsible's head by
the same rule as overdue tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import Counterparty, Employee
from services.crm.adapters.sales import Order
from services.crm.adapters.work import Reminder
from services.crm.analytics.adapters.records import Claim
from services.crm.analytics.domain import claims as rules
from services.crm.domain.access import may_read_customer, require_change, require_read
from services.crm.domain.errors import Forbidden, Invalid
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import reminders
from services.crm.handlers.cards import owner_of, readable
from services.crm.handlers.common import apply, get, paginate, referenced, responsible
from services.crm.handlers.tasks import closed
from shared.contracts import CRM, SCHEDULER
from shared.db import utcnow
from shared.messages import CancelTimer, ClaimOverdue, ScheduleTimer

# What a claim may be about: the model and the counterparty a record of it belongs to.
BASES: dict[str, tuple[type, Callable[[Any], int | None]]] = {
    "order": (Order, lambda order: order.counterparty_id)
}
reminders.register_basis("claim", Claim)


def register_basis(
    kind: str, model: type[Any], counterparty_of: Callable[[Any], int | None]
) -> None:
    """Let claims be about another kind of record (a deal)."""
    BASES[kind] = (model, counterparty_of)


def register(
    session: Session, actor: Actor, fields: dict[str, Any], *, remind_before: timedelta
) -> Claim:
    """Take a claim in; its responsible is the customer's manager unless another is named."""
    if actor.role not in rules.RECEIVERS:
        raise Forbidden("claims are taken in by the front office and sales")
    customer = referenced(
        session, Counterparty, fields["counterparty_id"], "counterparty_id", "counterparty"
    )
    readable(session, actor, "counterparty", customer.id)
    _check_basis(session, customer.id, fields.get("basis_kind"), fields.get("basis_id"))
    fields = {"received_at": utcnow(), **fields}
    fields.setdefault("responsible_id", customer.responsible_id or actor.id)
    responsible(session, fields["responsible_id"])
    rules.check_deadline(fields["received_at"], fields["deadline"])
    claim = Claim(author_id=actor.id, state=rules.OPEN, **fields)
    session.add(claim)
    session.flush()
    _plan(session, claim, remind_before)
    return claim


def _check_basis(session: Session, counterparty_id: int, kind: str | None, id_: int | None) -> None:
    if (kind is None) != (id_ is None):
        raise Invalid("basis_id", "basis_kind and basis_id go together")
    if kind is None:
        return
    if kind not in BASES:
        raise Invalid("basis_kind", f"must be one of: {', '.join(BASES)}")
    model, counterparty_of = BASES[kind]
    basis: Any = referenced(session, model, id_, "basis_id", kind)
    if counterparty_of(basis) != counterparty_id:
        raise Invalid("basis_id", f"the {kind} is another counterparty's")


def _plan(session: Session, claim: Claim, remind_before: timedelta) -> None:
    """The reminder before the deadline and the timer at it (replacing earlier ones)."""
    if claim.reminder_id is not None:
        previous = session.get(Reminder, claim.reminder_id)
        if previous.state == "scheduled":
            reminders.call_off(session, previous)
    customer = session.get(Counterparty, claim.counterparty_id)
    text = reminders.written_for(
        session,
        claim.responsible_id,
        rules.REMINDER,
        number=claim.id,
        customer=customer.name,
        title=claim.title,
        deadline=claim.deadline,
    )
    reminder = reminders.schedule(
        session,
        claim.responsible_id,
        text,
        rules.remind_at(claim.deadline, remind_before, utcnow()),
        basis_kind="claim",
        basis_id=claim.id,
    )
    claim.reminder_id, claim.escalated_at = reminder.id, None
    timer = ScheduleTimer(
        key=rules.timer_key(claim.id),
        fire_at=claim.deadline,
        reply_to=CRM,
        payload={"kind": "claim_deadline", "claim_id": claim.id},
    )
    outbox.record(session, "claim", claim.id, timer, queue=SCHEDULER)


def _load_for_change(session: Session, actor: Actor, claim_id: int) -> Claim:
    claim = load(session, actor, claim_id, lock=True)
    rules.check_open(claim.state)
    require_change(actor, owner_of(session, claim.responsible_id), "the claim")
    return claim


def update(
    session: Session,
    actor: Actor,
    claim_id: int,
    changes: dict[str, Any],
    *,
    remind_before: timedelta,
) -> Claim:
    """Edit an open claim; a new deadline or responsible re-plans the reminder and the timer."""
    claim = _load_for_change(session, actor, claim_id)
    if "responsible_id" in changes:
        responsible(session, changes["responsible_id"])
    before = apply(claim, changes)
    rules.check_deadline(claim.received_at, claim.deadline)
    if any(before[k] != getattr(claim, k) for k in ("deadline", "responsible_id") if k in before):
        _plan(session, claim, remind_before)
    session.flush()
    return claim


def resolve(session: Session, actor: Actor, claim_id: int, outcome: str, resolution: str) -> Claim:
    """Close the claim with its outcome: its reminder and its deadline timer are called off."""
    claim = _load_for_change(session, actor, claim_id)
    claim.state, claim.outcome, claim.resolution = rules.RESOLVED, outcome, resolution
    claim.resolved_at, claim.resolved_by_id = utcnow(), actor.id
    closed(session, "claim", claim.id, "done")
    cancel = CancelTimer(key=rules.timer_key(claim.id))
    outbox.record(session, "claim", claim.id, cancel, queue=SCHEDULER)
    session.flush()
    return claim


def deadline_passed(session: Session, env: dict[str, Any], payload: dict[str, Any]) -> None:
    """The deadline timer fired: a claim still open is escalated, once."""
    claim = session.get(Claim, payload["claim_id"], with_for_update=True)
    if claim is None or claim.state != rules.OPEN or claim.escalated_at is not None:
        return
    if claim.deadline > env["occurred_at"]:
        return  # the deadline moved later; its own timer comes then
    claim.escalated_at = utcnow()
    customer = session.get(Counterparty, claim.counterparty_id)
    outbox.record(
        session,
        "claim",
        claim.id,
        ClaimOverdue(
            claim_id=claim.id,
            responsible_id=claim.responsible_id,
            title=claim.title,
            counterparty_name=customer.name,
            deadline=claim.deadline,
        ),
    )


def load(session: Session, actor: Actor, claim_id: int, *, lock: bool = False) -> Claim:
    claim = get(session, Claim, claim_id, "claim", lock=lock)
    require_read(
        may_read_customer(actor, owner_of(session, claim.responsible_id)), "claim", claim_id
    )
    return claim


def list_claims(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    state: str | None = None,
    counterparty_id: int | None = None,
    responsible_id: int | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
) -> tuple[list[Claim], int]:
    """Claims by deadline; sales staff see their department's (may_read_customer, as a query)."""
    now = now or utcnow()
    stmt = select(Claim).order_by(Claim.deadline, Claim.id)
    if actor.role in (Role.MANAGER, Role.HEAD_OF_SALES):
        department = select(Employee.id).where(
            Employee.department == actor.department, Employee.department.is_not(None)
        )
        stmt = stmt.where(
            or_(Claim.responsible_id == actor.id, Claim.responsible_id.in_(department))
        )
    for column, value in (
        (Claim.state, state),
        (Claim.counterparty_id, counterparty_id),
        (Claim.responsible_id, responsible_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if overdue is True:
        stmt = stmt.where(Claim.state == rules.OPEN, Claim.deadline < now)
    elif overdue is False:
        stmt = stmt.where(or_(Claim.state != rules.OPEN, Claim.deadline >= now))
    return paginate(session, stmt, page, page_size)


def shown(claim: Claim, now: datetime | None = None) -> dict[str, Any]:
    """A claim as the API shows it, with whether it is overdue now."""
    values = {column.key: getattr(claim, column.key) for column in Claim.__table__.c}
    return {**values, "overdue": rules.is_overdue(claim.state, claim.deadline, now or utcnow())}
