"""Use cases of one-shot timers: schedule (replacing by key) and cancel."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.scheduler.adapters.orm import Timer
from services.scheduler.domain.timers import CANCELLED, PENDING, supersedes
from shared.messages import CancelTimer, ScheduleTimer


def schedule_timer(session: Session, env: dict[str, Any], message: ScheduleTimer) -> None:
    """ScheduleTimer: fire at ``fire_at``; a timer with the same key is replaced."""
    values = {
        "key": message.key,
        "fire_at": message.fire_at,
        "reply_to": message.reply_to,
        "payload": message.payload,
        "state": PENDING,
        "set_by": uuid.UUID(str(env["message_id"])),
        "changed_at": env["occurred_at"],
        "fired_at": None,
        # A new schedule is a new value: a timer set aside for its old one is tried again.
        "quarantined_at": None,
        "quarantine_reason": None,
    }
    stmt = insert(Timer).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Timer.key],
            set_={k: stmt.excluded[k] for k in values if k != "key"},
            # A command sent before the key's last change arrived late: it must not win.
            where=Timer.changed_at <= stmt.excluded.changed_at,
        )
    )


def cancel_timer(session: Session, env: dict[str, Any], message: CancelTimer) -> None:
    """CancelTimer: the key's timer will not fire; a tombstone remembers when it was cancelled."""
    timer = session.scalars(select(Timer).where(Timer.key == message.key).with_for_update()).first()
    if timer is None:
        # Keep the cancel, so a schedule for this key that was sent earlier but arrives later
        # does not bring the timer back.
        session.add(
            Timer(
                key=message.key,
                fire_at=env["occurred_at"],
                reply_to="notifier",
                payload={},
                state=CANCELLED,
                set_by=uuid.UUID(str(env["message_id"])),
                changed_at=env["occurred_at"],
            )
        )
    elif supersedes(env["occurred_at"], timer.changed_at):
        if timer.state == PENDING:
            timer.state = CANCELLED
        timer.changed_at = env["occurred_at"]
