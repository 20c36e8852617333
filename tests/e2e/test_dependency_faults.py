"""Faults of what the services depend on, while due calls and reminders flow: the test vhost's
broker connections closed, the test database's backends terminated, several times each.
Afterwards every due call gave exactly one task, every reminder one delivery per channel, and
no process exited. How long each fault held the pipeline back is printed (run with ``-s``),
never asserted: timing belongs to reports, not to tests."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field

import psycopg
import pytest
from sqlalchemy import make_url

from shared.broker import reconnect
from shared.containment import is_transient
from shared.db import libpq_dsn
from tests.e2e.calling_loop import Loop
from tests.e2e.conftest import ALL

SUBJECTS = 120
REMINDER_EVERY = 6  # 20 reminders, each due within 5 s of its creation
PAUSE = 0.17  # between subjects: about 5 due calls a second, for some 22 s
FAULTS = 3
FIRST_FAULT, FAULT_GAP = 3.0, 8.0  # seconds after the first subject
SAMPLE = 0.2


def close_broker_connections(settings) -> None:
    vhost = make_url(settings.broker_url.replace("amqp://", "postgresql://", 1)).database
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "fault test"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def terminate_database_backends(settings) -> None:
    """Every connection to the run's database ends, the services' and this test's alike."""
    with psycopg.connect(libpq_dsn(settings.migration_database_url), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


INJECT = {"broker": close_broker_connections, "database": terminate_database_backends}


@dataclass
class Lag:
    """How far the tasks trail the subjects produced, sampled; a fault shows as a bump."""

    loop: Loop
    samples: list[tuple[float, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(SAMPLE):
            try:
                tasks = self.loop.tasks()
            except Exception as exc:  # the database's connections were just terminated
                if not is_transient(exc):
                    raise
                continue
            self.samples.append((time.monotonic(), self.loop.produced - tasks))

    def recovery(self, fault_at: float, until: float) -> float | None:
        """Seconds from a fault until the lag is back to what it was before (None: not yet)."""
        before = [lag for t, lag in self.samples if fault_at - 2 <= t < fault_at]
        normal = max(before or [0]) + 2
        window = [(t, lag) for t, lag in self.samples if fault_at <= t < until]
        late = [t for t, lag in window if lag > normal]
        if not late:
            return 0.0
        back = [t for t, _ in window if t > late[-1]]
        return back[0] - fault_at if back else None


@pytest.mark.parametrize("dependency", sorted(INJECT))
def test_lost_connections_lose_and_duplicate_nothing(
    dependency, system, sessions, settings, sinks, broker
):
    smtp, webhook = sinks
    system.env.update(SMTP_PORT=str(smtp.port), DELIVERY_BACKOFF_SECONDS="0.2")
    system.start(*ALL)
    loop = Loop(sessions, webhook)
    lag = Lag(loop)
    monitor = threading.Thread(target=lag.run, daemon=True)
    producer = threading.Thread(target=loop.produce, args=(SUBJECTS, REMINDER_EVERY, PAUSE, 5))
    started = time.monotonic()
    monitor.start()
    producer.start()
    faults = []
    for n in range(FAULTS):
        time.sleep(max(0.0, started + FIRST_FAULT + n * FAULT_GAP - time.monotonic()))
        faults.append(time.monotonic())
        INJECT[dependency](settings)
    producer.join()
    reconnect(broker)  # this test's own connection was closed with the others

    loop.assert_each_once(
        system,
        smtp,
        webhook,
        SUBJECTS // REMINDER_EVERY * REMINDER_EVERY,
        SUBJECTS // REMINDER_EVERY,
    )
    lag.stop.set()
    monitor.join()
    exited = {
        name: s.proc.returncode for name, s in system.services.items() if s.proc.poll() is not None
    }
    assert exited == {}, f"processes exited: {exited}"

    ends = [*faults[1:], lag.samples[-1][0] + SAMPLE]
    for n, (fault_at, until) in enumerate(zip(faults, ends, strict=True), 1):
        seconds = lag.recovery(fault_at, until)
        shown = (
            f"{seconds:.1f} s" if seconds is not None else f"not within {until - fault_at:.1f} s"
        )
        print(
            f"{dependency} fault {n} at {fault_at - started:.1f} s: back to its rate after {shown}"
        )
