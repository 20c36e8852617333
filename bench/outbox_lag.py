"""Publish lag of the outbox relay at rest: commit of a status assignment -> receipt on crm.events.

Starts a real relay process on a throw-away database and vhost, commits one assignment at
a time with pauses between them (the system at rest), and prints p50/p99/max of the time
from the business transaction's commit to an outside pika consumer's receipt.

    .venv/bin/python bench/outbox_lag.py [--events 300] [--pause 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import latency_line  # noqa: E402
from services.crm.domain.roles import Actor, Role  # noqa: E402
from services.crm.handlers import leads, subjects  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from tests import factories  # noqa: E402
from tests.helpers import bind_events  # noqa: E402
from tests.sandbox import sandbox  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between commits")
    args = parser.parse_args()

    with sandbox("crm_bench") as settings:
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "BROKER_URL": settings.broker_url,
        }
        relay = subprocess.Popen(
            [str(Path(sys.executable).parent / "crm-relay")], env=env, stderr=subprocess.DEVNULL
        )
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        manager_id, _ = factories.employee(sessions, "manager")
        actor = Actor(manager_id, Role.MANAGER)
        with transaction(sessions) as session:
            lead_ids = [
                leads.create_lead(session, actor, {"name": f"Bench {n}"}, settings).id
                for n in range(args.events)
            ]

        connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
        channel = connection.channel()
        queue = bind_events(channel, settings.events_exchange, "lead.status_assigned")
        committed: dict[int, float] = {}
        lags: list[float] = []

        def produce():
            time.sleep(1.0)  # let the relay drain the registrations first
            for lead_id in lead_ids:
                with transaction(sessions) as session:
                    subjects.assign_status(session, actor, "lead", lead_id, 1, settings=settings)
                committed[lead_id] = time.time()
                time.sleep(args.pause)

        producer = threading.Thread(target=produce)
        producer.start()
        for _method, _props, body in channel.consume(queue, auto_ack=True, inactivity_timeout=30):
            if body is None:
                break
            received = time.time()
            lead_id = json.loads(body)["data"]["subject_id"]
            while lead_id not in committed:  # the receipt can race the producer's bookkeeping
                time.sleep(0.001)
            lags.append(received - committed[lead_id])
            if len(lags) == args.events:
                break
        producer.join()
        connection.close()
        relay.terminate()
        relay.wait()
        engine.dispose()

    print(f"outbox publish lag at rest over {len(lags)} events (pause {args.pause}s):")
    print(f"  {latency_line([lag * 1000 for lag in lags])}   (target p99 < 1000 ms)")


if __name__ == "__main__":
    main()
