"""End-to-end latency of the calling loop: a call's due time -> its task visible in the CRM,
and a reminder's time -> its in-app notification, with every process of the system running.

Starts the CRM worker, relay, scheduler (+ its worker) and notifier (+ its worker) as real
processes on a throw-away database and vhost. Plans ``--rate`` calls per second falling due
over ``--seconds`` (written straight into the scheduler's plans, for subjects the CRM holds
with that status), and a reminder every ``--reminder-every`` calls, then prints p50/p99/max
of task commit time minus due time, and notification commit time minus remind-at.

    .venv/bin/python bench/loop_latency.py [--rate 100] [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from bench.figures import latency_line  # noqa: E402
from services.crm.adapters.work import Notification, Reminder, Task  # noqa: E402
from services.crm.handlers import reminders  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.e2e.conftest import ALL, Service  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100, help="due calls per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--reminder-every", type=int, default=10)
    args = parser.parse_args()
    total = args.rate * args.seconds

    with sandbox("crm_bench") as settings, tempfile.TemporaryDirectory() as logs:
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        manager_id, _ = factories.employee(sessions, "manager", department="Sales")
        env = {
            **__import__("os").environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
            "SCHEDULER_ROUTINES": "",
        }
        services = [Service(name, env, Path(logs)).start() for name in ALL if name != "api"]
        time.sleep(5)  # processes up, the notifier's directory knows the manager

        start = utcnow() + timedelta(seconds=3)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO crm.leads (id, name, responsible_id, status_id, status_assigned_at) "
                    "SELECT g, 'Bench ' || g, :manager, 1, now() FROM generate_series(1, :n) g"
                ),
                {"manager": manager_id, "n": total},
            )
            conn.execute(
                text(
                    "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, status_id, "
                    "status_version, interval_days, anchor_at, next_call_at, state, revision, published_revision) "
                    "SELECT 'lead', g, :manager, 1, 1, 3, now(), "
                    ":start + make_interval(secs => (g - 1)::float / :rate), 'planned', 1, 1 "
                    "FROM generate_series(1, :n) g"
                ),
                {"manager": manager_id, "n": total, "start": start, "rate": args.rate},
            )
        with transaction(sessions) as session:
            for n in range(0, total, args.reminder_every):
                reminders.schedule(
                    session, manager_id, f"Reminder {n}", start + timedelta(seconds=n / args.rate)
                )
        expected_reminders = len(range(0, total, args.reminder_every))

        deadline = time.monotonic() + args.seconds + 120
        with sessions() as session:
            while time.monotonic() < deadline:
                tasks = session.scalar(select(func.count()).select_from(Task))
                notes = session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.reminder_id.is_not(None))
                )
                if tasks >= total and notes >= expected_reminders:
                    break
                time.sleep(1)
            task_lag = [
                (c - d).total_seconds() * 1000
                for c, d in session.execute(
                    select(Task.created_at, Task.due_at).where(Task.kind == "call")
                )
            ]
            reminder_lag = [
                (c - r).total_seconds() * 1000
                for c, r in session.execute(
                    select(Notification.created_at, Reminder.remind_at).join(
                        Reminder, Reminder.id == Notification.reminder_id
                    )
                )
            ]
        for service in services:
            service.stop()
        engine.dispose()

    print(f"calling loop at {args.rate} due calls/s for {args.seconds} s ({total} calls):")
    print(f"  due time -> task visible   ({len(task_lag)} tasks)      {latency_line(task_lag)}")
    print(
        f"  remind-at -> in-app inbox  ({len(reminder_lag)} reminders)  {latency_line(reminder_lag)}"
    )


if __name__ == "__main__":
    main()
