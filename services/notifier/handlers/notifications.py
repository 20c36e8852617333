"""Turning one notification into a delivery per channel of its recipient.

The in-app channel is a ``DeliverInApp`` command in the notifier's outbox, written in the
same transaction as its delivery row, so it is delivered (handed to the CRM) on commit.
E-mail and webhook rows stay pending for the delivery workers (adapters/delivery_worker.py).
The unique (notification, channel) of the delivery log is what makes each channel happen
once, however often the message that caused it is redelivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.notifier.adapters import outbox
from services.notifier.adapters.orm import Delivery
from services.notifier.domain.delivery import CANCELLED, DELIVERED, FAILED, PENDING
from services.notifier.domain.directory import Person, address_of, channels_of
from shared.contracts import CRM
from shared.db import utcnow
from shared.messages import DeliverInApp
from shared.names import Channel
from shared.publisher import derived_id


@dataclass(frozen=True)
class Notification:
    """What to tell whom: ``key`` names it in the delivery log, ``in_app_key`` in the CRM inbox."""

    key: str
    in_app_key: str
    recipient_id: int
    subject: str
    body: str
    due_at: datetime
    reminder_id: int | None = None
    task_id: int | None = None


def notify(session: Session, note: Notification, recipient: Person | None) -> list[str]:
    """Log a delivery per channel of ``recipient``; returns the channels logged just now."""
    now = utcnow()
    logged = []
    for channel in channels_of(recipient):
        address = address_of(recipient, channel) if recipient else str(note.recipient_id)
        state, error = PENDING, None
        if channel == Channel.IN_APP:
            state = DELIVERED
        elif address is None:
            state, error = FAILED, f"no {channel} address for employee {note.recipient_id}"
        inserted = session.execute(
            insert(Delivery)
            .values(
                notification=note.key,
                channel=channel,
                recipient_id=note.recipient_id,
                address=address,
                subject=note.subject,
                body=note.body,
                reminder_id=note.reminder_id,
                task_id=note.task_id,
                due_at=note.due_at,
                state=state,
                attempts=1 if state == DELIVERED else 0,
                last_error=error,
                next_attempt_at=now if state == PENDING else None,
                delivered_at=now if state == DELIVERED else None,
            )
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        ).first()
        if inserted is None:
            continue
        logged.append(channel)
        if channel == Channel.IN_APP:
            _deliver_in_app(session, note)
    return logged


def _deliver_in_app(session: Session, note: Notification) -> None:
    command = DeliverInApp(
        key=note.in_app_key,
        recipient_id=note.recipient_id,
        text=note.body,
        reminder_id=note.reminder_id,
        task_id=note.task_id,
    )
    outbox.record(
        session,
        "notification",
        note.key,
        command,
        queue=CRM,
        message_id=derived_id(command.contract.type, note.in_app_key),
    )


def cancel_pending(session: Session, reminder_ids: Iterable[int], reason: str) -> None:
    """Pending sends of these reminders will not go out (cancelled, or the basis closed)."""
    ids = list(reminder_ids)
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.reminder_id.in_(ids), Delivery.state == PENDING)
            .values(state=CANCELLED, last_error=reason, next_attempt_at=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
