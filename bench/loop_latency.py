"""End-to-end latency of the calling loop: a call's due time -> its task visible in the CRM,
and a reminder's time -> its in-app notification, with every process of the system running.

Starts the Procfile's processes but the API and the mailbox (CRM worker, relay, scheduler
and its worker, notifier and its worker) on a throw-away database and vhost, waits until
each says it is ready, then plans ``--rate`` calls a second falling due over ``--seconds``
(subjects the CRM holds with that status, shared among 50 managers) and a reminder (to
one of them) every ``--reminder-every`` calls.
It prints, so that a figure can be trusted or thrown away:

- the machine's load average before and after, and the processes it ran (pid, command);
- how long before the first due time the set-up was over (late set-up is late calls);
- p50/p99/max of task commit time minus the call's planned time, and of notification
  commit time minus remind-at; the rate actually achieved (tasks over the time from the
  first due call to the last task);
- each queue's and outbox's depth at its highest and at the end: a stage that cannot keep
  up is the one whose depth grows;
- the CPU each process and its database sessions spent per due call (``PGAPPNAME`` names
  the sessions), the broker's, and the whole machine's: on a machine of 2 cores shared
  with other work, the stage that costs the most CPU is the one to make cheaper, whatever
  the queues say, and the machine's line says how much the rest (this script, other work)
  took;
- with several rates (``--rate 100,250,500``), where p99 crosses 2 s.

    .venv/bin/python bench/loop_latency.py [--rate 100] [--seconds 60]
    .venv/bin/python bench/loop_latency.py --rate 100,250,500 --seconds 60
    .venv/bin/python bench/loop_latency.py --quick     # 100 calls/s for 15 s
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.cpu import BROKER, CpuAccount  # noqa: E402
from bench.figures import latency_line, load_average, percentile  # noqa: E402
from services.crm.adapters.work import Notification, Reminder, Task  # noqa: E402
from services.crm.handlers import reminders  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.e2e.conftest import ALL, Service  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

QUEUES = ("scheduler", "notifier", "crm")
OUTBOXES = ("crm", "notifier")
P99_TARGET_MS = 2000.0
# The sales department whose calls fall due: a call goes to its subject's manager.
MANAGERS = 50
# What each process logs once it takes work.
READY = {"relay": "relay active", "scheduler": "tick loop active", "notifier": "relay active"}
DRAMATIQ_READY = "is ready for action"


@dataclass
class Depths:
    """Queue and outbox depths sampled once a second: the highest and the last."""

    highest: dict[str, tuple[int, float]] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)

    def sample(self, name: str, depth: int, at: float) -> None:
        self.last[name] = depth
        if depth > self.highest.get(name, (-1, 0.0))[0]:
            self.highest[name] = (depth, at)

    def lines(self) -> list[str]:
        return [
            f"    {name:<16} highest {high:>6,} (at {at:5.1f} s)   at the end {self.last[name]:>6,}"
            for name, (high, at) in self.highest.items()
        ]


@dataclass
class Result:
    rate: int
    task_lag: list[float]
    reminder_lag: list[float]
    achieved: float


def ready(service: Service) -> bool:
    logs = service.logs()
    if service.name in READY:
        return READY[service.name] in logs
    processes = int(service.argv[service.argv.index("--processes") + 1])
    return logs.count(DRAMATIQ_READY) >= processes


def start_services(env: dict[str, str], logs: Path) -> list[Service]:
    services = [
        Service(name, {**env, "PGAPPNAME": name}, logs).start()
        for name in ALL
        if name not in ("api", "mail")
    ]
    deadline = time.monotonic() + 120
    while not all(ready(s) for s in services):
        if time.monotonic() > deadline:
            late = [s.name for s in services if not ready(s)]
            raise RuntimeError(f"not ready after 120 s: {late}")
        time.sleep(0.2)
    return services


def insert_subjects(engine, managers: list[int], total: int) -> None:
    """Leads holding status 1, shared out among the managers, and their plans, due a month
    ahead until the run starts."""
    params = {"managers": managers, "count": len(managers), "n": total}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO crm.leads (id, name, responsible_id, status_id, status_assigned_at) "
                "SELECT g, 'Bench ' || g, (:managers)[1 + g % :count], 1, now() "
                "FROM generate_series(1, :n) g"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "status_id, status_version, interval_days, anchor_at, next_call_at, state, "
                "revision, published_revision) SELECT 'lead', g, (:managers)[1 + g % :count], "
                "1, 1, 3, now(), now() + interval '30 days', 'planned', 1, 1 "
                "FROM generate_series(1, :n) g"
            ),
            params,
        )


def counts(session) -> tuple[int, int]:
    tasks = session.scalar(select(func.count()).select_from(Task).where(Task.kind == "call"))
    notes = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.reminder_id.is_not(None))
    )
    return tasks, notes


def sample_depths(depths: Depths, channel, session, at: float) -> None:
    for queue in QUEUES:
        depth = channel.queue_declare(queue, passive=True).method.message_count
        depths.sample(f"queue {queue}", depth, at)
    for schema in OUTBOXES:
        pending = session.scalar(
            text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
        )
        depths.sample(f"outbox {schema}", pending, at)
    due = session.scalar(
        text(
            "SELECT count(*) FROM scheduler.call_plans WHERE state = 'planned' AND next_call_at <= now()"
        )
    )
    depths.sample("plans not emitted", due, at)


def run(rate: int, seconds: int, reminder_every: int) -> Result:
    total = rate * seconds
    print(
        f"calling loop at {rate} due calls/s for {seconds} s ({total:,} calls to {MANAGERS} "
        "managers):",
        flush=True,
    )
    print(f"  load average before: {load_average()}")
    with sandbox("crm_bench") as settings, tempfile.TemporaryDirectory() as logs:
        engine = make_engine(settings.migration_database_url)
        sessions = make_session_factory(engine)
        managers = [
            factories.employee(sessions, "manager", department="Sales")[0] for _ in range(MANAGERS)
        ]
        manager_id = managers[0]
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
            "SCHEDULER_ROUTINES": "",
        }
        services = start_services(env, Path(logs))
        print("  processes (all on this machine):")
        for service in services:
            print(f"    {service.name:<17} pid {service.proc.pid:<7} {' '.join(service.argv[1:])}")
        try:
            setup = time.monotonic()
            insert_subjects(engine, managers, total)
            # Time for the set-up still to come: the reminders' timers and the plans' update.
            start = utcnow() + timedelta(seconds=5 + total / 2000)
            with transaction(sessions) as session:
                for n in range(0, total, reminder_every):
                    remind_at = start + timedelta(seconds=n / rate)
                    reminders.schedule(session, manager_id, f"Reminder {n}", remind_at)
            expected_reminders = len(range(0, total, reminder_every))
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE scheduler.call_plans SET "
                        "next_call_at = :start + make_interval(secs => (subject_id - 1)::float / :rate)"
                    ),
                    {"start": start, "rate": rate},
                )
            margin = (start - utcnow()).total_seconds()
            print(
                f"  set-up took {time.monotonic() - setup:.1f} s and was over {margin:.1f} s "
                f"before the first due time" + ("" if margin > 0 else "  (LATE: figures inflated)")
            )
            task_lag, reminder_lag, achieved, depths, cpu, deadlocks = observe(
                settings, sessions, start, total, expected_reminders, seconds, services
            )
        finally:
            for service in services:
                service.stop()
            engine.dispose()
    print(f"  due time -> task visible   ({len(task_lag):,} tasks)      {latency_line(task_lag)}")
    print(
        f"  remind-at -> in-app inbox  ({len(reminder_lag):,} reminders)  "
        f"{latency_line(reminder_lag)}"
    )
    print(f"  rate achieved: {achieved:,.0f} tasks/s (offered {rate}/s)")
    print("  depths, sampled every second:")
    print("\n".join(depths.lines()))
    print(f"  CPU per due call from the first due time (all {len(task_lag):,} tasks):")
    for name, seconds in cpu.items():
        print(f"    {name:<28} {seconds * 1000 / max(len(task_lag), 1):7.2f} ms")
    print(f"  deadlocks in the database: {deadlocks}")
    print(f"  load average after: {load_average()}", flush=True)
    return Result(rate, task_lag, reminder_lag, achieved)


def sample_cpu(cpu: CpuAccount, services: list[Service], session) -> None:
    """The services' processes, and the database sessions each opened, by name."""
    backends = session.execute(
        text(
            "SELECT pid, application_name FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).all()
    cpu.sample(
        {s.proc.pid: s.name for s in services if s.proc},
        {pid: f"{app or '?'}: database" for pid, app in backends},
        BROKER,
    )


def observe(settings, sessions, start, total, expected_reminders, seconds, services):
    """Sample the depths until every task and notification is there (or a deadline)."""
    depths, cpu = Depths(), CpuAccount()
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    channel = connection.channel()
    began = time.monotonic()
    deadline = began + (start - utcnow()).total_seconds() + seconds + 120
    try:
        with sessions() as session:
            while time.monotonic() < deadline:
                sample_depths(depths, channel, session, time.monotonic() - began)
                if utcnow() >= start:
                    sample_cpu(cpu, services, session)
                tasks, notes = counts(session)
                session.rollback()  # a fresh snapshot each second
                if tasks >= total and notes >= expected_reminders:
                    break
                time.sleep(1)
            sample_depths(depths, channel, session, time.monotonic() - began)
            sample_cpu(cpu, services, session)
            rows = session.execute(
                select(Task.created_at, Task.planned_at).where(Task.kind == "call")
            ).all()
            # A deadlock costs its transaction a second's wait and a second try.
            deadlocks = session.scalar(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )
            reminder_lag = [
                (c - r).total_seconds() * 1000
                for c, r in session.execute(
                    select(Notification.created_at, Reminder.remind_at).join(
                        Reminder, Reminder.id == Notification.reminder_id
                    )
                )
            ]
    finally:
        connection.close()
    task_lag = [(c - p).total_seconds() * 1000 for c, p in rows]
    span = (max(c for c, _ in rows) - start).total_seconds() if rows else 0.0
    achieved = len(rows) / span if span > 0 else 0.0
    return task_lag, reminder_lag, achieved, depths, cpu.totals(), deadlocks


def crossing(results: list[Result]) -> str:
    """Where p99 of due -> task crosses the target, interpolated between measured rates."""
    p99 = [(r.rate, percentile(r.task_lag, 0.99) if r.task_lag else float("inf")) for r in results]
    below = [(rate, ms) for rate, ms in p99 if ms <= P99_TARGET_MS]
    above = [(rate, ms) for rate, ms in p99 if ms > P99_TARGET_MS]
    if not above:
        return f"p99 stays under {P99_TARGET_MS / 1000:.0f} s up to {p99[-1][0]} calls/s"
    if not below:
        return f"p99 is over {P99_TARGET_MS / 1000:.0f} s already at {p99[0][0]} calls/s"
    (r0, m0), (r1, m1) = max(below), min(above)
    at = r0 + (r1 - r0) * (P99_TARGET_MS - m0) / (m1 - m0) if m1 != float("inf") else r0
    return (
        f"p99 crosses {P99_TARGET_MS / 1000:.0f} s near {at:,.0f} calls/s (between {r0} and {r1})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="100", help="due calls per second, or a list: 100,250")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--reminder-every", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="100 calls/s for 15 s")
    args = parser.parse_args()
    rates = [int(r) for r in args.rate.split(",")]
    seconds = 15 if args.quick else args.seconds
    results = [run(rate, seconds, args.reminder_every) for rate in rates]
    if len(results) > 1:
        print(crossing(sorted(results, key=lambda r: r.rate)))


if __name__ == "__main__":
    main()
