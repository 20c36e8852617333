"""Reminder delivery lateness: TimerFired sent -> in-app command relayed / e-mail received.

Starts the real notifier worker (dramatiq) and ``notifier`` process (relay + delivery
workers) on a throw-away database and vhost, with a local SMTP sink. The bench plays the
scheduler: it schedules reminders for recipients who want in-app and e-mail, then sends
each ``TimerFired`` at its remind-at time, and prints p50/p99/max of the time from that
send to (in-app) the relay's publish of ``DeliverInApp`` to the CRM queue and (e-mail)
the SMTP sink's receipt of the message.

    .venv/bin/python bench/notifier.py [--reminders 400] [--spread 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from services.notifier.adapters.orm import Employee, OutboxMessage, Reminder  # noqa: E402
from shared.broker import set_broker  # noqa: E402
from shared.contracts import NOTIFIER, envelope  # noqa: E402
from shared.db import make_engine, make_session_factory, utcnow  # noqa: E402
from shared.publisher import to_queue  # noqa: E402
from tests.integration.notifier.sinks import SmtpSink  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

RECIPIENTS = 20


class TimedSink(SmtpSink):
    """The test SMTP sink, noting when each reminder's e-mail arrived."""

    def __init__(self):
        super().__init__()
        self.arrived: dict[int, float] = {}

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        key = self.messages[-1]["X-Notification-Key"]  # "reminder:<id>"
        self.arrived[int(key.split(":")[1])] = time.time()
        return reply


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait_for(probe, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def report(name: str, lags: list[float]) -> None:
    ms = [lag * 1000 for lag in lags]
    print(
        f"  {name:7} n={len(ms)}  p50 {statistics.median(ms):.1f} ms   "
        f"p99 {percentile(ms, 0.99):.1f} ms   max {max(ms):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=400)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds the fires span")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent

    sink = TimedSink().start()
    with sandbox("notifier_bench") as settings:
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
            "SMTP_PORT": str(sink.port),
            "RELAY_POLL_SECONDS": "0.5",
            "LOG_LEVEL": "WARNING",
        }
        worker_cmd = [str(bin_dir / "dramatiq"), "services.notifier.entrypoints.actors"]
        worker_cmd += ["--processes", "1", "--threads", "4", "--queues", NOTIFIER]
        procs = [
            subprocess.Popen(worker_cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL),
            subprocess.Popen([str(bin_dir / "notifier")], env=env, stderr=subprocess.DEVNULL),
        ]
        broker = set_broker(settings)
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)

        def send(type_: str, data: dict) -> None:
            to_queue(broker, NOTIFIER, envelope(type_, data))

        try:
            for n in range(1, RECIPIENTS + 1):
                send("EmployeeChanged", {
                    "employee_id": n, "name": f"Bench {n}", "email": f"bench{n}@example.com",
                    "role": "manager", "department": "Sales", "timezone": "UTC", "active": True,
                    "channels": ["in_app", "email"], "webhook_url": None,
                })  # fmt: skip

            def directory_size() -> int:
                with sessions() as session:
                    return session.scalar(select(func.count()).select_from(Employee))

            wait_for(lambda: directory_size() == RECIPIENTS, 60, "the notifier worker")
            # Leave time to store every reminder first: the fires, not the set-up, are measured.
            start = utcnow() + timedelta(seconds=3 + args.reminders / 50)
            step = args.spread / args.reminders
            remind_at = {r: start + timedelta(seconds=r * step) for r in range(args.reminders)}
            for r, at in remind_at.items():
                send("ReminderScheduled", {
                    "reminder_id": r + 1, "recipient_id": r % RECIPIENTS + 1,
                    "text": f"Bench reminder {r}", "basis_kind": None, "basis_id": None,
                    "remind_at": at.isoformat(),
                })  # fmt: skip

            def stored() -> int:
                with sessions() as session:
                    return session.scalar(select(func.count()).select_from(Reminder))

            wait_for(lambda: stored() == args.reminders, 60, "the reminders")
            fired: dict[int, float] = {}

            def play_scheduler() -> None:
                for r, at in remind_at.items():
                    time.sleep(max((at - utcnow()).total_seconds(), 0))
                    fired[r + 1] = time.time()
                    send("TimerFired", {
                        "key": f"reminder:{r + 1}", "fire_at": at.isoformat(),
                        "fired_at": utcnow().isoformat(), "payload": {"reminder_id": r + 1},
                    })  # fmt: skip

            scheduler = threading.Thread(target=play_scheduler)
            scheduler.start()
            scheduler.join()

            def relayed() -> dict[int, float]:
                with sessions() as session:
                    rows = session.execute(
                        select(OutboxMessage.data, OutboxMessage.published_at).where(
                            OutboxMessage.type == "DeliverInApp",
                            OutboxMessage.published_at.is_not(None),
                        )
                    )
                    return {d["reminder_id"]: at.timestamp() for d, at in rows}

            wait_for(lambda: len(sink.arrived) >= args.reminders, 120, "the e-mails")
            wait_for(lambda: len(relayed()) >= args.reminders, 60, "the in-app commands")
            in_app = relayed()
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
            broker.close()
            engine.dispose()
    sink.stop()

    print(
        f"reminder delivery lateness, {args.reminders} reminders over {args.spread:.0f} s "
        f"({args.reminders / args.spread:.0f}/s), from TimerFired sent to:"
    )
    report("in-app", [in_app[r] - fired[r] for r in fired])
    report("e-mail", [sink.arrived[r] - fired[r] for r in fired])


if __name__ == "__main__":
    main()
