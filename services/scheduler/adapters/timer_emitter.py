"""Firing due timers: ``TimerFired`` to the requester's queue, claimed like due plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.confirmed_sender import ConfirmedSender
from services.scheduler.adapters.due_batches import DueBatches, each
from services.scheduler.adapters.orm import Timer
from services.scheduler.domain.timers import FIRED, PENDING
from shared import containment, metrics
from shared.batch_publisher import Outgoing
from shared.contracts import envelope
from shared.db import utcnow
from shared.messages import TimerFired
from shared.publisher import derived_id, queued


def timer_fired(timer: Timer, fired_at: datetime) -> dict[str, Any]:
    """The TimerFired envelope; its id derives from the command that set the timer."""
    fired = TimerFired(
        key=timer.key, fire_at=timer.fire_at, fired_at=fired_at, payload=timer.payload
    )
    message_id = derived_id(fired.contract.type, timer.set_by)
    return envelope(fired, message_id=message_id, occurred_at=fired_at)


class TimerEmitter:
    """Fires pending timers whose time has come, one batch per transaction."""

    def __init__(self, sessions: sessionmaker[Session], sender: ConfirmedSender, batch_size: int):
        self.batches = DueBatches(sessions, sender, Timer, batch_size)
        self.more = False  # the last batch left due timers behind

    def fire_due(self, now: datetime) -> int:
        """Fire the timers due by ``now`` (never those set aside); a timer that fails on its
        own is set aside."""
        sent, self.more = self.batches.emit(
            (Timer.state == PENDING, Timer.fire_at <= now),
            Timer.fire_at,
            each(self._fire),
            {"state": FIRED, "fired_at": utcnow()},
        )
        return sent

    def _fire(self, timer: Timer) -> list[Outgoing]:
        """One message: TimerFired to the queue of the service that set the timer."""
        metrics.observe_lateness("timer", timer.fire_at)
        return [queued(timer.reply_to, timer_fired(timer, utcnow()))]

    @staticmethod
    def next_due_query() -> Select:
        """When the earliest pending timer fires (read from the due index)."""
        return (
            select(Timer.fire_at)
            .where(Timer.state == PENDING, containment.not_quarantined(Timer))
            .order_by(Timer.fire_at)
            .limit(1)
        )
