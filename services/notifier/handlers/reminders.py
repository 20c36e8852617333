"""Reminders: a timer at the scheduler for each, delivery when it fires, unless called off.

A reminder is called off by ``ReminderCancelled`` or by ``DocumentClosed`` of its basis
(the closure is remembered, so a reminder on a closed document scheduled later is never
timed). Messages about one reminder may arrive out of order: each change carries the CRM's
``occurred_at`` and an older one does not undo a newer one.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notifier.adapters import directory, outbox
from services.notifier.adapters.orm import ClosedDocument, Reminder
from services.notifier.domain.delivery import CANCELLED, SCHEDULED, reminder_is_due
from services.notifier.handlers.notifications import Notification, cancel_pending, notify
from shared.contracts import NOTIFIER, SCHEDULER
from shared.db import utcnow
from shared.i18n import _, translate
from shared.messages import (
    CancelTimer,
    DocumentClosed,
    Message,
    ReminderCancelled,
    ReminderDelivered,
    ReminderScheduled,
    ScheduleTimer,
    TimerFired,
)
from shared.publisher import derived_id

log = logging.getLogger(__name__)


def timer_key(reminder_id: int) -> str:
    return f"reminder:{reminder_id}"


def reminder_scheduled(session: Session, env: dict[str, Any], message: ReminderScheduled) -> None:
    """ReminderScheduled: remember it and ask the scheduler for a timer at ``remind_at``."""
    changed_at = env["occurred_at"]
    reminder = session.get(Reminder, message.reminder_id, with_for_update=True)
    if reminder is not None and reminder.changed_at > changed_at:
        log.info("stale reminder change ignored", extra={"reminder_id": message.reminder_id})
        return
    closed = _is_closed(session, message.basis_kind, message.basis_id)
    was_scheduled = reminder is not None and reminder.state == SCHEDULED
    if reminder is None:
        reminder = Reminder(id=message.reminder_id)
        session.add(reminder)
    reminder.recipient_id = message.recipient_id
    reminder.text = message.text
    reminder.basis_kind = message.basis_kind
    reminder.basis_id = message.basis_id
    reminder.remind_at = message.remind_at
    reminder.state = CANCELLED if closed else SCHEDULED
    reminder.changed_at = changed_at
    if closed:
        log.info("reminder on a closed document not scheduled", extra={"reminder_id": reminder.id})
        if was_scheduled:
            _command(session, env, reminder.id, CancelTimer(key=timer_key(reminder.id)))
        return
    timer = ScheduleTimer(
        key=timer_key(reminder.id),
        fire_at=message.remind_at,
        reply_to=NOTIFIER,
        payload={"reminder_id": reminder.id},
    )
    _command(session, env, reminder.id, timer)


def reminder_cancelled(session: Session, env: dict[str, Any], message: ReminderCancelled) -> None:
    """ReminderCancelled: cancel its timer and any send not made yet."""
    changed_at = env["occurred_at"]
    reminder = session.get(Reminder, message.reminder_id, with_for_update=True)
    if reminder is None:
        # The cancel overtook the schedule: keep it, so the late schedule does not revive it.
        session.add(
            Reminder(id=message.reminder_id, state=CANCELLED, changed_at=changed_at, text="")
        )
        return
    if reminder.changed_at > changed_at:
        return
    reminder.changed_at = changed_at
    _call_off(session, env, [reminder], "reminder cancelled")


def document_closed(session: Session, env: dict[str, Any], message: DocumentClosed) -> None:
    """DocumentClosed: reminders based on the document are called off, now and later."""
    kind, document_id = message.document_kind, message.document_id
    session.execute(
        insert(ClosedDocument)
        .values(
            kind=kind, document_id=document_id, state=message.state, closed_at=env["occurred_at"]
        )
        .on_conflict_do_nothing()
    )
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.basis_kind == kind, Reminder.basis_id == document_id)
        .with_for_update()
    ).all()
    _call_off(session, env, reminders, f"{kind} {document_id} {message.state}")


def timer_fired(session: Session, env: dict[str, Any], message: TimerFired) -> None:
    """TimerFired: deliver the reminder through each of its recipient's channels."""
    reminder_id = message.payload.get("reminder_id")
    reminder = session.get(Reminder, reminder_id, with_for_update=True) if reminder_id else None
    if reminder is None:
        log.warning("timer for no known reminder", extra={"key": message.key})
        return
    closed = _is_closed(session, reminder.basis_kind, reminder.basis_id)
    if not reminder_is_due(reminder.state, closed, reminder.remind_at, message.fire_at):
        log.info("reminder not delivered", extra={"reminder_id": reminder.id, "closed": closed})
        return
    recipient = directory.find(session, reminder.recipient_id)
    locale = recipient.locale if recipient else None
    note = Notification(
        key=timer_key(reminder.id),
        in_app_key=f"{timer_key(reminder.id)}:in_app",
        recipient_id=reminder.recipient_id,
        # The text was written in the recipient's language by the CRM; the subject is ours.
        subject=translate(locale, _("Reminder: {headline}"), headline=_headline(reminder.text)),
        body=reminder.text,
        due_at=reminder.remind_at,
        reminder_id=reminder.id,
    )
    channels = notify(session, note, recipient)
    log.info("reminder fired", extra={"reminder_id": reminder.id, "channels": channels})
    if channels:
        # An event (no queue): the CRM shows the reminder delivered, others may follow it.
        outbox.record(
            session,
            "reminder",
            reminder.id,
            ReminderDelivered(reminder_id=reminder.id, delivered_at=utcnow(), channels=channels),
            queue=None,
        )


def _call_off(session: Session, env: dict[str, Any], reminders, reason: str) -> None:
    for reminder in reminders:
        if reminder.state == SCHEDULED:
            reminder.state = CANCELLED
            _command(session, env, reminder.id, CancelTimer(key=timer_key(reminder.id)))
    cancel_pending(session, [r.id for r in reminders], reason)


def _command(session: Session, env: dict[str, Any], reminder_id: int, command: Message) -> None:
    # The scheduler orders a key's commands by occurred_at: give them the CRM's time of the
    # change, so a schedule and a cancel keep the order in which the CRM made them.
    outbox.record(
        session,
        "reminder",
        reminder_id,
        command,
        queue=SCHEDULER,
        occurred_at=env["occurred_at"],
        message_id=derived_id(command.contract.type, env["message_id"], reminder_id),
    )


def _is_closed(session: Session, kind: str | None, document_id: int | None) -> bool:
    return bool(kind and document_id and session.get(ClosedDocument, (kind, document_id)))


def _headline(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "(no text)"
    return line if len(line) <= limit else line[: limit - 1] + "…"
