"""The relay killed with SIGKILL at random moments loses nothing and re-sends with the same ids."""

from __future__ import annotations

import random
import threading
import time

from sqlalchemy import select

from services.crm.adapters.orm import OutboxMessage
from services.crm.adapters.relay import pending_count
from services.crm.domain.roles import Actor, Role
from services.crm.handlers import leads, subjects
from shared.db import transaction
from tests import factories
from tests.helpers import bind_events, drain_queue, eventually


def test_relay_killed_repeatedly_delivers_every_event_with_stable_ids(
    system, sessions, amqp, settings
):
    queue = bind_events(amqp, settings.events_exchange, "#")
    manager_id, _ = factories.employee(sessions, "manager")
    actor = Actor(manager_id, Role.MANAGER)
    system.start("relay")

    def produce():
        for n in range(150):
            with transaction(sessions) as session:
                lead = leads.create_lead(
                    session, actor, {"name": f"Lead {n}", "responsible_id": manager_id}, settings
                )
                subjects.assign_status(
                    session, actor, "lead", lead.id, 1 + n % 3, settings=settings
                )
            time.sleep(0.005)

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(7)
    received: list[dict] = []
    while producer.is_alive():
        time.sleep(rng.uniform(0.05, 0.4))
        system.restart("relay")
        received += [body for *_, body in drain_queue(amqp, queue)]
    producer.join()

    def all_sent():
        with sessions() as session:
            return pending_count(session) == 0

    eventually(all_sent, timeout=30)
    received += [body for *_, body in drain_queue(amqp, queue)]
    with sessions() as session:
        rows = {str(r.message_id): r for r in session.scalars(select(OutboxMessage))}

    by_id: dict[str, list[dict]] = {}
    for body in received:
        by_id.setdefault(body["message_id"], []).append(body)
    assert set(by_id) == set(rows), "every committed event is published, nothing else"
    for message_id, copies in by_id.items():
        assert all(c == copies[0] for c in copies), "a re-sent event is the same message"
        assert copies[0]["type"] == rows[message_id].type
