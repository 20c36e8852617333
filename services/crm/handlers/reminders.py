"""Reminders: a text for an employee at a moment, based on a document; the notifier delivers it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.orm import Employee
from services.crm.adapters.work import Interaction, Reminder, Task
from services.crm.domain.errors import Conflict, Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import ownership
from services.crm.handlers.common import paginate, responsible
from shared.db import utcnow
from shared.i18n import translate_for
from shared.messages import ReminderCancelled, ReminderDelivered, ReminderScheduled

# Documents a reminder can be based on, and the table each lives in.
BASES: dict[str, type] = {"task": Task, "interaction": Interaction}


SELF_ONLY = (Role.EXECUTOR,)


def register_basis(kind: str, model: type[Any]) -> None:
    """Let another kind of document (an order, an event) be the basis of reminders."""
    BASES[kind] = model


def schedule(
    session: Session,
    recipient_id: int,
    text: str,
    remind_at: datetime,
    *,
    basis_kind: str | None = None,
    basis_id: int | None = None,
    author_id: int | None = None,
) -> Reminder:
    """Record a reminder and ask the notifier (through the outbox) to deliver it on time."""
    if remind_at.tzinfo is None:
        raise Invalid("remind_at", "must carry a time zone offset")
    responsible(session, recipient_id, "recipient_id")
    if (basis_kind is None) != (basis_id is None):
        raise Invalid("basis_id", "basis_kind and basis_id go together")
    if basis_kind is not None:
        model = BASES.get(basis_kind)
        if model is None:
            raise Invalid("basis_kind", f"must be one of: {', '.join(BASES)}")
        if session.get(model, basis_id) is None:
            raise Invalid("basis_id", f"no {basis_kind} with id {basis_id}")
    reminder = Reminder(
        recipient_id=recipient_id,
        author_id=author_id,
        text=text,
        basis_kind=basis_kind,
        basis_id=basis_id,
        remind_at=remind_at,
    )
    session.add(reminder)
    session.flush()
    outbox.record(
        session,
        "reminder",
        reminder.id,
        ReminderScheduled(
            reminder_id=reminder.id,
            recipient_id=recipient_id,
            text=text,
            basis_kind=basis_kind,
            basis_id=basis_id,
            remind_at=remind_at,
        ),
    )
    return reminder


def written_for(session: Session, recipient_id: int, message: str, **params: object) -> str:
    """``message`` (marked with ``_``) in the recipient's language, instants in their zone."""
    recipient = session.get(Employee, recipient_id)
    if recipient is None:
        return translate_for(None, None, message, **params)
    return translate_for(recipient.locale, recipient.timezone, message, **params)


def remind_later(
    session: Session,
    recipient_id: int,
    message: str,
    delay_seconds: int,
    basis_kind: str,
    basis_id: int,
    **params: object,
) -> Reminder:
    """The reminder a new document sets for its responsible (5 minutes by default).

    ``message`` is the English source (marked with ``_``), written for the recipient.
    """
    return schedule(
        session,
        recipient_id,
        written_for(session, recipient_id, message, **params),
        utcnow() + timedelta(seconds=delay_seconds),
        basis_kind=basis_kind,
        basis_id=basis_id,
    )


def create(session: Session, actor: Actor, fields: dict[str, Any]) -> Reminder:
    """A reminder set through the API: executors remind themselves; sales staff remind anyone.

    A reminder about a customer's document is a note, not a change of the customer: whoever
    may read the customer may set one (404 for the others, as if there were no document).
    """
    if fields["recipient_id"] != actor.id and actor.role not in (
        Role.ADMIN,
        Role.HEAD_OF_SALES,
        Role.HEAD_OF_EXECUTION,
        Role.MANAGER,
        Role.SECRETARY,
    ):
        raise Forbidden("you may set reminders for yourself only")
    ownership.require_read_of(session, actor, *_customer(session, fields))
    return schedule(session, author_id=actor.id, **fields)


def _customer(session: Session, fields: dict[str, Any]) -> tuple[str | None, int | None]:
    """The customer the reminder's basis document is about, if any."""
    model = BASES.get(fields.get("basis_kind") or "")
    basis = session.get(model, fields["basis_id"]) if model and fields.get("basis_id") else None
    if basis is None:
        return None, None
    if hasattr(basis, "counterparty_id"):  # an order
        return "counterparty", basis.counterparty_id
    return basis.subject_kind, basis.subject_id


def cancel(session: Session, actor: Actor, reminder_id: int) -> Reminder:
    reminder = session.get(Reminder, reminder_id, with_for_update=True)
    mine = reminder is not None and actor.id in (reminder.recipient_id, reminder.author_id)
    if reminder is None or not (mine or actor.role == Role.ADMIN):
        raise NotFound("reminder", reminder_id)
    if reminder.state == "cancelled":
        raise Conflict("reminder is already cancelled")
    return call_off(session, reminder)


def call_off(session: Session, reminder: Reminder) -> Reminder:
    """Cancel a scheduled reminder: the notifier drops its timer and any send not made."""
    reminder.state = "cancelled"
    outbox.record(session, "reminder", reminder.id, ReminderCancelled(reminder_id=reminder.id))
    return reminder


def delivered(session: Session, env: dict[str, Any], message: ReminderDelivered) -> None:
    """ReminderDelivered: the notifier handed the reminder over; a cancelled one stays so."""
    reminder = session.get(Reminder, message.reminder_id, with_for_update=True)
    if reminder is not None and reminder.state == "scheduled":
        reminder.state, reminder.delivered_at = "delivered", message.delivered_at


def list_mine(
    session: Session, actor: Actor, *, page: int, page_size: int, upcoming: bool | None = None
) -> tuple[list[Reminder], int]:
    stmt = select(Reminder).where(Reminder.recipient_id == actor.id).order_by(Reminder.remind_at)
    if upcoming:
        stmt = stmt.where(Reminder.state == "scheduled", Reminder.remind_at >= utcnow())
    return paginate(session, stmt, page, page_size)
