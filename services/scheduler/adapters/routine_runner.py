"""Running routines once per period across every scheduler instance."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import dramatiq
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.orm import RoutineRow, RoutineRun
from services.scheduler.domain.routines import Routine
from shared.contracts import envelope
from shared.messages import RunRoutine
from shared.publisher import derived_id, to_queue

log = logging.getLogger(__name__)

RELOAD_SECONDS = 30.0


class RoutineRunner:
    """Sends ``RunRoutine`` to a routine's queue when a new period of its schedule begins.

    The run row (unique routine + period) is inserted in the transaction that commits after
    the broker confirmed the message: a second instance's insert waits for the first and
    then finds the period taken; after a crash the next instance sends the same message id.
    """

    def __init__(self, sessions: sessionmaker[Session], broker: dramatiq.Broker):
        self.sessions = sessions
        self.broker = broker
        self._routines: list[Routine] = []
        self._loaded_at = float("-inf")
        self._done: dict[str, str] = {}  # periods this instance knows are taken

    def install_defaults(self, routines: list[Routine]) -> None:
        """Add configured routines the table does not hold yet; existing rows keep theirs."""
        if not routines:
            return
        with self.sessions() as session, session.begin():
            rows = [{"name": r.name, "queue": r.queue, "schedule": r.schedule} for r in routines]
            session.execute(insert(RoutineRow).values(rows).on_conflict_do_nothing())
        self._loaded_at = float("-inf")

    def routines(self) -> list[Routine]:
        """The enabled routines, re-read from the table every ``RELOAD_SECONDS``."""
        if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            with self.sessions() as session:
                rows = session.scalars(select(RoutineRow).where(RoutineRow.enabled)).all()
            self._routines = [Routine(r.name, r.queue, r.schedule) for r in rows]
            self._loaded_at = time.monotonic()
        return self._routines

    def run_due(self, now: datetime) -> int:
        """Start every routine whose current period has not run; returns how many started."""
        started = 0
        for routine in self.routines():
            try:
                period = routine.current_period(now)
            except ValueError as exc:  # a bad schedule typed into the table
                log.error(
                    "routine schedule invalid", extra={"routine": routine.name, "error": str(exc)}
                )
                continue
            if period is None or self._done.get(routine.name) == period:
                continue
            if self._start(routine, period, now):
                started += 1
                log.info("routine started", extra={"routine": routine.name, "period": period})
            self._done[routine.name] = period
        return started

    def next_run(self, now: datetime) -> datetime | None:
        times = []
        for routine in self.routines():
            try:
                at = routine.next_run(now)
            except ValueError:
                continue
            if at is not None:
                times.append(at)
        return min(times, default=None)

    def _start(self, routine: Routine, period: str, now: datetime) -> bool:
        command = RunRoutine(routine=routine.name, period=period)
        message_id = derived_id(command.contract.type, routine.name, period)
        with self.sessions() as session, session.begin():
            claimed = session.execute(
                insert(RoutineRun)
                .values(routine=routine.name, period=period, message_id=message_id)
                .on_conflict_do_nothing()
                .returning(RoutineRun.id)
            ).first()
            if claimed is None:
                return False
            env = envelope(command, message_id=message_id, occurred_at=now)
            to_queue(self.broker, routine.queue, env)
            session.execute(
                update(RoutineRow)
                .where(RoutineRow.name == routine.name)
                .values(last_period=period, last_run_at=now)
            )
        return True
