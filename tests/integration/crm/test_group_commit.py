"""Due calls applied together in one transaction (shared/group_commit.py) behave as if each
had been applied alone: one task per call, and a call that cannot be made fails alone."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.crm.adapters.work import Notification, Task
from services.crm.domain.errors import NotFound
from shared.consumer import consume
from shared.contracts import CRM, envelope
from shared.db import utcnow
from shared.deadletter import REASON_HEADER
from shared.group_commit import GroupCommit
from shared.publisher import to_queue
from tests.helpers import eventually, running_worker
from tests.integration.crm.support import created


@pytest.fixture()
def leads(manager):
    return [
        created(manager, "/api/leads", name=name, responsible_id=manager.id, status_id=1)["id"]
        for name in ("Globex", "Initech", "Umbrella")
    ]


def create_task(plan_id: int, subject_id: int, assignee_id: int) -> dict:
    """A CreateTask envelope as received from the broker (JSON)."""
    due_at = (utcnow() - timedelta(minutes=1)).isoformat()
    data = {
        "key": f"call:{plan_id}:{due_at}",
        "kind": "call",
        "assignee_id": assignee_id,
        "subject_kind": "lead",
        "subject_id": subject_id,
        "due_at": due_at,
        "plan_id": plan_id,
    }
    return json.loads(json.dumps(envelope("CreateTask", data), default=str))


def test_a_batch_with_a_redelivered_call_and_one_for_a_missing_lead_makes_one_task_per_call(
    sessions, manager, leads
):
    from services.crm.adapters.orm import InboxMessage
    from services.crm.entrypoints.actors import HANDLERS

    group = GroupCommit(sessions)
    first, *others = [create_task(n, lead, manager.id) for n, lead in enumerate(leads, 1)]
    redelivered = others[0]
    missing = create_task(99, 10_000, manager.id)
    # The first call's thread leads: it holds its transaction until the others wait behind it,
    # so that they share the next one.
    behind = 1 + len(others) + 1

    def held(session, env, command):
        eventually(lambda: group.waiting() >= behind)
        return HANDLERS["CreateTask"](session, env, command)

    errors: dict[str, BaseException] = {}

    def deliver(message: dict, handlers=HANDLERS) -> None:
        try:
            consume(message, handlers, sessions, InboxMessage, group=group)
        except Exception as exc:
            errors[message["message_id"]] = exc

    threads = [threading.Thread(target=deliver, args=(first, {"CreateTask": held}))]
    threads += [
        threading.Thread(target=deliver, args=(m,)) for m in (*others, redelivered, missing)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(errors) == [missing["message_id"]]
    assert isinstance(errors[missing["message_id"]], NotFound)
    with sessions() as session:
        subjects = session.scalars(select(Task.subject_id).order_by(Task.subject_id)).all()
        told = session.scalar(select(func.count()).where(Notification.task_id.is_not(None)))
    assert subjects == sorted(leads)
    assert told == len(leads)


def test_the_worker_dead_letters_a_call_for_a_missing_lead_and_makes_the_others(
    broker, amqp, sessions, manager, leads
):
    # Eight threads take the calls together and share their transactions.
    with running_worker(broker, CRM, threads=8) as worker:
        worker.pause()
        calls = [create_task(n, lead, manager.id) for n, lead in enumerate(leads, 1)]
        missing = create_task(99, 10_000, manager.id)
        for message in (*calls, calls[0], missing):
            to_queue(broker, CRM, message)
        worker.resume()

        def dead_lettered():
            method, props, body = amqp.basic_get(queue=f"{CRM}.XQ", auto_ack=True)
            if method is not None and json.loads(body)["message_id"] == missing["message_id"]:
                return props.headers[REASON_HEADER]
            return None

        assert eventually(dead_lettered) == "NotFound: lead 10000 not found"

        def tasks():
            with sessions() as session:
                return session.scalars(select(Task.subject_id).order_by(Task.subject_id)).all()

        eventually(lambda: len(tasks()) >= len(leads))
        broker.join(CRM)
    assert tasks() == sorted(leads)
