"""Scheduler figures: tick cost against table size, emission rate, timer lateness, memory.

On a throw-away database and vhost (created and dropped here):

1. Tick cost: 1,000 plans due while the table holds 10k, 100k, 1M plans (the rest planned
   weeks ahead). Each round makes 1,000 random plans due and times the claim-publish-mark
   batches until none is left; the median of the rounds is printed, with and without the
   broker (the database's share alone), and the ratio of the largest table to the smallest.
2. Emission rate: 10,000 due calls emitted by a tick, against a raw pika loop publishing
   the same number of messages with publisher confirms, measured in the same run.
3. Timer lateness: a real ``scheduler`` process fires N timers spread over D seconds to the
   notifier's queue; lateness is fired_at - fire_at (emit) and receipt - fire_at (at an
   outside pika consumer), p50/p99/max; the process's RSS at start and after each run.

    .venv/bin/python bench/scheduler.py            # the full run (several minutes)
    .venv/bin/python bench/scheduler.py --quick    # a smaller run, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pika
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import load_average  # noqa: E402
from services.scheduler.adapters.confirmed_sender import CHUNK  # noqa: E402
from services.scheduler.adapters.plan_emitter import PlanEmitter  # noqa: E402
from services.scheduler.adapters.ticker import Ticker, confirmed_sender  # noqa: E402
from shared.broker import set_broker  # noqa: E402
from shared.db import make_engine, make_session_factory, utcnow  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402

BATCH = 200


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def grow_plans(engine, start: int, total: int) -> None:
    """Plans ``start+1..total``, all planned weeks ahead and already known to the CRM."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.call_plans (subject_kind, subject_id, responsible_id, "
                "timezone, status_id, status_version, interval_days, anchor_at, next_call_at, "
                "state, revision, published_revision) "
                "SELECT 'lead', g, 1 + g % 50, 'Europe/Berlin', 1 + g % 3, 1, 3, now(), "
                "now() + interval '14 days' + make_interval(mins => g % 40000), 'planned', 1, 1 "
                "FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) g"
            ),
            {"lo": start + 1, "hi": total},
        )
    vacuum(engine)


def vacuum(engine) -> None:
    """Vacuum and checkpoint, so the bulk load's writes are not flushed during the rounds."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE scheduler.call_plans"))
        conn.execute(text("CHECKPOINT"))


def purge_service_queues(broker) -> None:
    """Empty the queues the emitted messages pile up in, so every round meets the same broker."""
    for queue in ("crm", "notifier"):
        broker.declare_queue(queue, ensure=True)
        broker.channel.queue_purge(queue)


def make_due(engine, total: int, count: int) -> None:
    ids = random.sample(range(1, total + 1), count)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE scheduler.call_plans SET state = 'planned', "
                "next_call_at = now() - interval '1 second' WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )


def drain(emitter: PlanEmitter) -> float:
    started = time.perf_counter()
    while emitter.emit_due(utcnow()):
        pass
    return time.perf_counter() - started


def tick_cost(engine, sessions, broker, settings, sizes: list[int], due: int, rounds: int):
    sender = confirmed_sender(broker, settings)
    emitter = PlanEmitter(sessions, sender, settings.events_exchange, BATCH)
    results = {}
    current = 0
    for size in sizes:
        grow_plans(engine, current, size)
        current = size
        full, db_only = [], []
        for round_ in range(rounds + 1):  # the first round warms caches and is not counted
            purge_service_queues(broker)
            make_due(engine, size, due)
            elapsed = drain(emitter)
            if round_:
                full.append(elapsed)
            make_due(engine, size, due)
            with patch.object(sender.publisher, "send", lambda messages: None):
                elapsed = drain(emitter)
                if round_:
                    db_only.append(elapsed)
        results[size] = (full, db_only)
        print(
            f"  {size:>9,} plans: tick with {due:,} due: median {statistics.median(full) * 1000:7.1f} ms"
            f" (best {min(full) * 1000:7.1f});  database share: median"
            f" {statistics.median(db_only) * 1000:6.1f} ms (best {min(db_only) * 1000:6.1f})",
            flush=True,
        )
    small, large = results[sizes[0]], results[sizes[-1]]
    for label, pick in (("median", statistics.median), ("best", min)):
        print(
            f"  ratio {sizes[-1]:,} / {sizes[0]:,} ({label}): "
            f"{pick(large[0]) / pick(small[0]):.2f}x with publishing, "
            f"{pick(large[1]) / pick(small[1]):.2f}x database only"
        )
    sender.close()
    return current


def raw_pika_rate(settings, count: int) -> float:
    """Messages per second of a plain confirmed publish loop (the broker's own pace)."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare("bench_raw", durable=True)
    body = json.dumps({"message_id": "x" * 36, "type": "CallDue", "data": {"k": "v" * 300}})
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started = time.perf_counter()
    for _ in range(count):
        channel.basic_publish("", "bench_raw", body.encode(), properties)
    elapsed = time.perf_counter() - started
    channel.queue_delete("bench_raw")
    connection.close()
    return count / elapsed


def emission_rate(engine, sessions, broker, settings, total: int, count: int) -> None:
    """Due calls a tick emits per second, against the raw loop measured before and after."""
    ticker = Ticker(sessions, broker, settings)
    if total < count:
        grow_plans(engine, total, count)
        total = count
    print(f"  load average before: {load_average()}")
    # A first small tick opens the publishing connection, as a running scheduler has it.
    make_due(engine, total, BATCH)
    ticker.tick()
    raw_before = raw_pika_rate(settings, count)
    purge_service_queues(broker)
    make_due(engine, total, count)
    cpu, started = time.process_time(), time.perf_counter()
    emitted = ticker.tick()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    ticker.close()
    raw_after = raw_pika_rate(settings, count)
    queued = {q: queue_depth(broker, q) for q in ("notifier",)}
    rate, raw = emitted / elapsed, (raw_before + raw_after) / 2
    print(
        f"  scheduler: {emitted:,} due calls in {elapsed:.2f} s = {rate:,.0f} due calls/s "
        f"({cpu / emitted * 1e6:.0f} us of CPU a call, every thread of this process)"
    )
    print(
        f"  raw pika loop, one channel, confirm per message: {raw:,.0f} msgs/s "
        f"(before {raw_before:,.0f}, after {raw_after:,.0f})"
    )
    print(
        f"  ratio: {rate / raw:.2f} due calls per raw message; each call is a CallDue to "
        f"crm.events, and every {CHUNK} calls one CallsDue to the notifier; a claim of up to "
        f"{BATCH} calls goes out {CHUNK} calls a socket write and is confirmed as a whole; "
        f"queued: {queued}"
    )
    print(f"  load average after: {load_average()}")


def queue_depth(broker, queue: str) -> int:
    return broker.channel.queue_declare(queue, passive=True).method.message_count


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_scheduler(settings, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "SCHEDULER_ROUTINES": "",
        "LOG_LEVEL": "INFO",
    }
    scheduler = subprocess.Popen(
        [str(Path(sys.executable).parent / "scheduler")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 60
    while "tick loop active" not in log.read_text(errors="replace"):
        if time.monotonic() > deadline or scheduler.poll() is not None:
            raise RuntimeError(f"scheduler did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    return scheduler


def insert_timers(engine, name: str, count: int, first: datetime, spread: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scheduler.timers (key, fire_at, reply_to, payload, state, set_by, "
                "changed_at) SELECT :name || ':' || g, "
                ":first + make_interval(secs => g * CAST(:step AS float8)), 'notifier', '{}', "
                "'pending', gen_random_uuid(), now() FROM generate_series(0, CAST(:n AS int) - 1) g"
            ),
            {"name": name, "first": first, "step": spread / count, "n": count},
        )


class Lateness:
    """TimerFired messages as they arrive: emit and receipt time minus the due time."""

    def __init__(self):
        self.emit: list[float] = []
        self.receipt: list[float] = []

    def on_message(self, _channel, _method, _properties, body: bytes) -> None:
        received = time.time()
        data = json.loads(body)["args"][0]["data"]
        fire_at = datetime.fromisoformat(data["fire_at"]).timestamp()
        self.emit.append(datetime.fromisoformat(data["fired_at"]).timestamp() - fire_at)
        self.receipt.append(received - fire_at)


def timer_lateness(engine, broker, settings, runs: list[tuple[int, float]]) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE scheduler.call_plans, scheduler.timers"))
    broker.declare_queue("notifier", ensure=True)
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    channel = connection.channel()
    channel.queue_purge("notifier")
    with tempfile.TemporaryDirectory() as tmp:
        scheduler = start_scheduler(settings, Path(tmp) / "scheduler.log")
        try:
            print(f"  scheduler RSS at start: {rss_kib(scheduler.pid) / 1024:.1f} MiB")
            for count, spread in runs:
                lateness = Lateness()
                tag = channel.basic_consume("notifier", lateness.on_message, auto_ack=True)
                first = utcnow() + timedelta(seconds=3)
                insert_timers(engine, f"run{count}", count, first, spread)
                deadline = time.monotonic() + 3 + spread + 60
                while len(lateness.emit) < count and time.monotonic() < deadline:
                    connection.process_data_events(time_limit=0.5)
                channel.basic_cancel(tag)
                print(f"  {count:,} timers over {spread:.0f} s: {len(lateness.emit):,} fired")
                for label, values in (("emit", lateness.emit), ("receipt", lateness.receipt)):
                    if values:
                        print(
                            f"    {label:>7} lateness p50 {percentile(values, 0.5) * 1000:6.1f} ms"
                            f"  p99 {percentile(values, 0.99) * 1000:6.1f} ms"
                            f"  max {max(values) * 1000:7.1f} ms"
                        )
                print(f"    scheduler RSS after: {rss_kib(scheduler.pid) / 1024:.1f} MiB")
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=30)
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short timer runs")
    parser.add_argument("--sizes", help="comma-separated table sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--rounds", type=int, help="rounds per table size (median printed)")
    parser.add_argument("--emit", type=int, help="due calls in the emission-rate run")
    parser.add_argument("--timers", help="count:seconds runs, e.g. 10000:60,100000:120")
    parser.add_argument(
        "--phases", default="ticks,emit,timers", help="which parts to run (default: all three)"
    )
    args = parser.parse_args()
    quick = args.quick
    sizes = [
        int(s)
        for s in (args.sizes or ("10000,100000" if quick else "10000,100000,1000000")).split(",")
    ]
    rounds = args.rounds or (3 if quick else 5)
    emit = args.emit or (2000 if quick else 10000)
    timer_runs = [
        (int(c), float(s))
        for c, s in (
            r.split(":")
            for r in (args.timers or ("2000:10,5000:15" if quick else "10000:60,100000:120")).split(
                ","
            )
        )
    ]

    with sandbox("sched_bench", scheduler_routines="", scheduler_batch_size=BATCH) as settings:
        # The bench bulk-loads, vacuums and checkpoints: the owner's rights; the scheduler
        # process it starts connects as the services' role.
        engine = make_engine(settings.migration_database_url)
        sessions = make_session_factory(engine)
        broker = set_broker(settings)
        try:
            total = 0
            if "ticks" in args.phases:
                print("Tick cost (1,000 due, table growing):", flush=True)
                total = tick_cost(engine, sessions, broker, settings, sizes, 1000, rounds)
            if "emit" in args.phases:
                print(f"Emission rate ({emit:,} due calls):", flush=True)
                emission_rate(engine, sessions, broker, settings, total, emit)
            if "timers" in args.phases:
                print("Timer lateness (real scheduler process):", flush=True)
                timer_lateness(engine, broker, settings, timer_runs)
        finally:
            broker.close()
            engine.dispose()


if __name__ == "__main__":
    main()
