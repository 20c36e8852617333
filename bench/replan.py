"""Re-planning a status held by a million subjects, and the tick's lateness meanwhile.

On a throw-away database and vhost: ``--plans`` plans hold one status; a real ``scheduler``
process runs; the status's interval changes (InteractionStatusChanged, handled as the
scheduler's worker does). Meanwhile a timer falls due every 50 ms and an outside pika
consumer records when each arrives (emit lateness is the tick's: fired_at - fire_at;
receipt adds the broker and this script's own polling). Printed: the time until every subject is re-planned
(the job's last batch committed), until the CRM has been told of every new plan (the
last CallPlanned confirmed), the batches and their mean time (the longest any plan lock
is held), and the timers' lateness at receipt during the re-plan, p50/p99/max.

    .venv/bin/python bench/replan.py                 # 1,000,000 plans
    .venv/bin/python bench/replan.py --quick         # 100,000 plans
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.figures import load_average, percentile  # noqa: E402
from bench.scheduler import Lateness, insert_timers, start_scheduler  # noqa: E402
from services.scheduler.adapters.orm import InboxMessage  # noqa: E402
from services.scheduler.adapters.replanner import BATCH  # noqa: E402
from shared.broker import set_broker  # noqa: E402
from shared.consumer import consume  # noqa: E402
from shared.contracts import envelope  # noqa: E402
from shared.db import make_engine, make_session_factory, utcnow  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

TIMER_EVERY = 0.05


def insert_plans(engine, count: int) -> None:
    """``count`` subjects holding status 2 (version 1, every 10 days), assigned in the last
    ten minutes: the new interval (3 days) still plans every call days ahead."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.status_rules (status_id, version, generate_calls, "
                "interval_days) VALUES (2, 1, true, 10)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "timezone, status_id, status_version, interval_days, anchor_at, next_call_at, "
                "state, revision, published_revision) SELECT 'lead', g, 1 + g % 50, "
                "'Europe/Berlin', 2, 1, 10, now() - make_interval(secs => g % 600), "
                "now() + interval '14 days', 'planned', 1, 1 FROM generate_series(1, :n) g"
            ),
            {"n": count},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE scheduler.call_plans"))
        conn.execute(text("CHECKPOINT"))


def change_interval(sessions) -> None:
    """The status's interval changes, as the scheduler's worker receives it."""
    data = {
        "status_id": 2,
        "name": "Warm",
        "applies_to": "both",
        "generate_calls": True,
        "call_interval_days": 3,
        "active": True,
        "version": 2,
    }
    from services.scheduler.entrypoints.actors import HANDLERS

    env = json.loads(json.dumps(envelope("InteractionStatusChanged", data)))
    consume(env, HANDLERS, sessions, InboxMessage)


def progress(engine) -> tuple[bool, int, int]:
    """(job finished, plans re-planned, plans whose revision the CRM has not heard of)."""
    with engine.connect() as conn:
        finished, replanned = conn.execute(
            text("SELECT finished_at IS NOT NULL, replanned FROM scheduler.replan_jobs")
        ).one()
        unpublished = conn.scalar(
            text("SELECT count(*) FROM scheduler.call_plans WHERE published_revision < revision")
        )
    return finished, replanned, unpublished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, help="subjects holding the status (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 subjects")
    args = parser.parse_args()
    count = args.plans or (100_000 if args.quick else 1_000_000)
    print(f"Re-plan of a status held by {count:,} subjects:", flush=True)
    print(f"  load average before: {load_average()}")
    with (
        sandbox("replan_bench", scheduler_routines="") as settings,
        tempfile.TemporaryDirectory() as tmp,
    ):
        engine = make_engine(settings.migration_database_url)
        sessions = make_session_factory(engine)
        broker = set_broker(settings)
        broker.declare_queue("notifier", ensure=True)
        broker.declare_queue("crm", ensure=True)
        insert_plans(engine, count)
        connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        channel = connection.channel()
        scheduler = start_scheduler(settings, Path(tmp) / "scheduler.log")
        try:
            # Timers every 50 ms for longer than the re-plan may take; only those due
            # before it ended are counted.
            horizon = 60 + count / 250
            insert_timers(
                engine, "tick", int(horizon / TIMER_EVERY), utcnow() + timedelta(seconds=2), horizon
            )
            lateness = Lateness()
            channel.basic_consume("notifier", lateness.on_message, auto_ack=True)
            started = time.monotonic()
            change_interval(sessions)
            replanned_after = published_after = None
            while published_after is None and time.monotonic() - started < horizon:
                connection.process_data_events(time_limit=1.0)
                finished, replanned, unpublished = progress(engine)
                if finished and replanned_after is None:
                    replanned_after = time.monotonic() - started
                    receipts_during = len(lateness.receipt)
                if finished and unpublished == 0:
                    published_after = time.monotonic() - started
            channel.queue_purge("crm")
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=30)
            connection.close()
            broker.close()
            engine.dispose()
    if replanned_after is None:
        print(f"  NOT finished within {horizon:.0f} s")
        return
    batches = -(-replanned // BATCH)
    print(
        f"  re-planned {replanned:,} subjects in {replanned_after:.1f} s "
        f"({replanned / replanned_after:,.0f}/s), {batches:,} batches of {BATCH}: "
        f"{replanned_after / batches * 1000:.0f} ms a batch on average (plan locks last one batch)"
    )
    if published_after is not None:
        print(
            f"  the CRM told of every new plan (CallPlanned confirmed) after {published_after:.1f} s"
        )
    for label, values in (("emit", lateness.emit), ("receipt", lateness.receipt)):
        during = values[:receipts_during]
        if during:
            print(
                f"  tick lateness during the re-plan, at {label} ({len(during):,} timers, every "
                f"{TIMER_EVERY * 1000:.0f} ms): p50 {percentile(during, 0.5) * 1000:.1f} ms  "
                f"p99 {percentile(during, 0.99) * 1000:.1f} ms  max {max(during) * 1000:.1f} ms"
            )
    print(f"  load average after: {load_average()}")


if __name__ == "__main__":
    main()
