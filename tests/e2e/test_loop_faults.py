"""Every process of the system killed with SIGKILL at random moments during a run of 200
subjects: after restarts, every due call produced exactly one task and every reminder
exactly one delivery."""

from __future__ import annotations

import random
import threading
import time

from tests.e2e.calling_loop import Loop
from tests.e2e.conftest import ALL

SUBJECTS = 200
REMINDERS = 40


def test_random_kills_lose_and_duplicate_nothing(system, sessions, sinks):
    smtp, webhook = sinks
    system.env.update(SMTP_PORT=str(smtp.port), DELIVERY_BACKOFF_SECONDS="0.2")
    system.start(*ALL)
    loop = Loop(sessions, webhook)
    producer = threading.Thread(target=loop.produce, args=(SUBJECTS, SUBJECTS // REMINDERS, 0.05))
    producer.start()
    rng = random.Random(2026)
    deadline = time.monotonic() + 15  # two rounds: each process killed twice or more
    killed = []
    while time.monotonic() < deadline or producer.is_alive():
        # Rounds in a random order, so every process dies at least once at a random moment.
        for name in rng.sample(ALL, len(ALL)):
            time.sleep(rng.uniform(0.2, 1.5))
            system.restart(name)
            killed.append(name)
    producer.join()
    loop.assert_each_once(system, smtp, webhook, SUBJECTS, REMINDERS)
