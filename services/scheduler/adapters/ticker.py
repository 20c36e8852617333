"""The tick loop: emit what is due, then sleep until the next due time or a NOTIFY."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters import controls
from services.scheduler.adapters.confirmed_sender import ConfirmedSender
from services.scheduler.adapters.plan_emitter import PlanEmitter
from services.scheduler.adapters.replanner import Replanner
from services.scheduler.adapters.routine_runner import RoutineRunner
from services.scheduler.adapters.timer_emitter import TimerEmitter
from services.scheduler.domain.routines import parse_routines
from shared import config, containment, metrics
from shared.batch_publisher import BatchPublisher
from shared.broker import reconnect
from shared.db import utcnow

log = logging.getLogger(__name__)

CHANNEL = "scheduler_wakeup"
# When rows are due but another instance holds them, wait this long instead of spinning.
CONTENDED_WAIT = 0.05
STOP_CHECK = 0.5  # longest a SIGTERM waits for the loop to notice it
# Longest one tick works before handing back to the loop (a re-plan of a million subjects
# or a flood of due calls is worked off over many ticks).
TICK_SLICE = 1.0
# While one kind of work has more, the kinds that had none are asked again this often, not
# before each of its batches: asking costs a transaction, which a flood of due calls would
# pay three times a batch for nothing.
IDLE_RECHECK = 0.1


def confirmed_sender(broker: RabbitmqBroker, settings: config.Settings) -> ConfirmedSender:
    """Batches confirmed as a whole over a connection of their own; dramatiq declares the queues."""
    publisher = BatchPublisher(
        settings.broker_url,
        exchanges=(settings.events_exchange,),
        declare_queue=lambda queue: broker.declare_queue(queue, ensure=True),
    )
    return ConfirmedSender(publisher)


class Ticker:
    """Emits due calls, plan revisions, fired timers and routine runs of one instance."""

    def __init__(
        self, sessions: sessionmaker[Session], broker: RabbitmqBroker, settings: config.Settings
    ):
        self.sessions = sessions
        self.broker = broker
        self.max_sleep = settings.scheduler_max_sleep_seconds
        batch = settings.scheduler_batch_size
        self.sender = confirmed_sender(broker, settings)
        self.plans = PlanEmitter(sessions, self.sender, settings.events_exchange, batch)
        self.timers = TimerEmitter(sessions, self.sender, batch)
        self.replans = Replanner(sessions, settings)
        self.routines = RoutineRunner(sessions, broker)
        self.pause = containment.Pause()
        self.routines.install_defaults(parse_routines(settings.scheduler_routines))
        # What a tick works off, batch by batch, and how each says more is waiting. A status's
        # re-plan goes a batch at a time, so what falls due meanwhile still goes out soon.
        self.work: list[tuple[Callable[[datetime], int], Callable[[], bool]]] = [
            (self.timers.fire_due, lambda: self.timers.more),
            (self.plans.emit_due, lambda: self.plans.more_due),
            (lambda _at: self.plans.publish_revisions(), lambda: self.plans.more_revisions),
            (lambda _at: self.replans.run_batch(), lambda: self.replans.more),
        ]
        metrics.scheduler().backlog.source = lambda: controls.due_backlog(sessions)

    def close(self) -> None:
        """Close the publishing connection."""
        self.sender.close()

    def tick(self, now: datetime | None = None, slice_seconds: float | None = None) -> int:
        """Emit everything due by ``now`` (the clock when omitted), batch after batch, for at
        most about ``slice_seconds`` when given."""
        clock: Callable[[], datetime] = (lambda: now) if now else utcnow
        with self.sessions() as session:
            if controls.paused(session):  # an operator ran `crm-ops pause-scheduler`
                return 0
        started = time.perf_counter()
        total = 0
        idle_since: dict[int, float] = {}  # the kinds of work found without more, and when
        while True:
            at = clock()
            asked_all = True
            for kind, (run, more_waiting) in enumerate(self.work):
                if time.perf_counter() - idle_since.get(kind, -IDLE_RECHECK) < IDLE_RECHECK:
                    asked_all = False
                    continue
                total += run(at)
                if more_waiting():
                    idle_since.pop(kind, None)
                else:
                    idle_since[kind] = time.perf_counter()
            if len(idle_since) == len(self.work):
                if asked_all:
                    break
                # A last round asks every kind: a re-plan may have made calls due meanwhile.
                idle_since.clear()
            if slice_seconds is not None and time.perf_counter() - started > slice_seconds:
                break  # more is pending, so the loop ticks again at once, having seen a stop
        total += self.routines.run_due(clock())
        metrics.scheduler().tick.observe(time.perf_counter() - started)
        return total

    def seconds_to_next(self, now: datetime) -> float:
        """How long the loop may sleep: until the earliest plan, timer or routine run."""
        with self.sessions() as session:
            if controls.paused(session):  # woken by the NOTIFY of `crm-ops resume-scheduler`
                return self.max_sleep
            # One round trip: every query reads a partial index of what is pending.
            unpublished, replanning, next_call, next_timer = session.execute(
                select(
                    self.plans.unpublished_query(),
                    self.replans.pending_query(),
                    within_sleep(self.plans.next_due_query(), now, self.max_sleep),
                    within_sleep(self.timers.next_due_query(), now, self.max_sleep),
                )
            ).one()
        if unpublished or replanning:
            return 0.0
        candidates = [
            next_call,
            next_timer,
            self.routines.next_run(now),
            now + timedelta(seconds=self.max_sleep),
        ]
        earliest = min(c for c in candidates if c is not None)
        return max(0.0, (earliest - now).total_seconds())

    def run(self, stop: threading.Event, listen_dsn: str) -> None:
        """Tick until ``stop`` is set; a NOTIFY on ``scheduler_wakeup`` cuts a sleep short."""
        while not stop.is_set():
            try:
                with psycopg.connect(listen_dsn, autocommit=True) as listener:
                    listener.execute(f"LISTEN {CHANNEL}")
                    log.info("tick loop active")
                    while not stop.is_set():
                        self._sleep(listener, self._step(stop), stop)
            except Exception as exc:  # the listen connection lost (or worse): reconnect
                containment.backoff(exc, "tick listener")
                stop.wait(1)

    @staticmethod
    def _sleep(listener: psycopg.Connection, seconds: float, stop: threading.Event) -> None:
        """Wait for a NOTIFY or ``seconds``, in slices short enough to notice ``stop``."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # Notifications that came while ticking are buffered and end the wait at once.
            if any(listener.notifies(timeout=min(remaining, STOP_CHECK), stop_after=1)):
                return

    def _step(self, stop: threading.Event) -> float:
        """One tick and the sleep that should follow it."""
        try:
            sent = self.tick(slice_seconds=TICK_SLICE)
            if sent:
                log.info("emitted", extra={"count": sent})
            self.broker.connection.process_data_events(time_limit=0)  # heartbeats
            sleep = self.seconds_to_next(utcnow())
            self.pause.succeeded()
            return sleep if sent or sleep > 0 else CONTENDED_WAIT
        except Exception as exc:  # a tick that fails is retried after a pause, never fatal
            containment.backoff(exc, "tick", reset=self._reset_broker)
        stop.wait(self.pause.failed())
        return 0.0

    def _reset_broker(self) -> None:
        # dramatiq's connection (queue declares, routines); the batch publisher reconnects itself.
        reconnect(self.broker)


def within_sleep(query: Select, now: datetime, max_sleep: float) -> ColumnElement[datetime]:
    """The earliest due time of ``query``, clamped between a day ago and the longest sleep.

    A row may hold an instant no Python datetime can (year 0 or 10000, written by hand or by
    a bug); the clamp keeps it in the database, where it cannot make every tick fail.
    """
    floor, ceiling = now - timedelta(days=1), now + timedelta(seconds=max_sleep)
    return func.greatest(func.least(query.scalar_subquery(), ceiling), floor)
