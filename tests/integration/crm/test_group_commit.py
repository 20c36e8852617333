"""Due calls applied together in one transaction (shared/group_commit.py) behave as if each
had been applied alone: one task per call, and a call that cannot be made fails alone."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.crm.adapters.orm import CallPlanView, OutboxMessage
from services.crm.adapters.work import Notification, Task
from services.crm.analytics.adapters.tables import ManagerDay
from services.crm.domain.errors import NotFound
from shared.contracts import CRM, envelope
from shared.db import utcnow
from shared.deadletter import REASON_HEADER
from shared.outbox import to_envelope
from shared.publisher import derived_id, to_queue
from tests.helpers import consumed_in_one_group, eventually, running_worker
from tests.integration.crm.support import created


@pytest.fixture()
def leads(manager):
    return [
        created(manager, "/api/leads", name=name, responsible_id=manager.id, status_id=1)["id"]
        for name in ("Globex", "Initech", "Umbrella")
    ]


def create_task(plan_id: int, subject_id: int, assignee_id: int, **data) -> dict:
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
        **data,
    }
    return received(envelope("CreateTask", data))


def received(env: dict) -> dict:
    """An envelope as a consumer receives it: through JSON."""
    return json.loads(json.dumps(env, default=str))


def in_one_group(sessions, *messages: dict) -> dict[str, BaseException]:
    from services.crm.adapters.orm import InboxMessage
    from services.crm.entrypoints.actors import BATCHES, HANDLERS

    return consumed_in_one_group(sessions, InboxMessage, HANDLERS, BATCHES, list(messages))


def test_a_batch_with_a_redelivered_call_and_one_for_a_missing_lead_makes_one_task_per_call(
    sessions, manager, leads
):
    first, *others = [create_task(n, lead, manager.id) for n, lead in enumerate(leads, 1)]
    missing = create_task(99, 10_000, manager.id)

    errors = in_one_group(sessions, first, *others, others[0], missing)

    assert list(errors) == [missing["message_id"]]
    assert isinstance(errors[missing["message_id"]], NotFound)
    with sessions() as session:
        subjects = session.scalars(select(Task.subject_id).order_by(Task.subject_id)).all()
        told = session.scalar(select(func.count()).where(Notification.task_id.is_not(None)))
    assert subjects == sorted(leads)
    assert told == len(leads)


def test_a_batch_applied_as_a_whole_makes_one_task_a_notice_and_an_event_per_call(
    sessions, manager, leads, caplog
):
    """Redelivered, re-sent under another id or made before: a call is one task, whichever
    way its batch meets it; and its plan shows the due revision."""
    made_before, first, second = [
        create_task(n, lead, manager.id, plan_revision=2) for n, lead in enumerate(leads, 1)
    ]
    for n in (1, 2, 3):
        plan(sessions, n, leads[n - 1], manager.id, revision=1)
    assert in_one_group(sessions, made_before, made_before) == {}
    resent = received({**second, "message_id": str(uuid.uuid4())})  # the same key

    with caplog.at_level(logging.INFO, logger="shared.group_commit"):
        errors = in_one_group(sessions, first, second, second, resent, made_before)

    assert errors == {}
    assert "batch rolled back" not in caplog.text  # the batch form made them, not the fallback
    with sessions() as session:
        tasks = session.scalars(select(Task).order_by(Task.subject_id)).all()
        told = session.scalars(
            select(Notification.task_id)
            .where(Notification.task_id.is_not(None))
            .order_by(Notification.task_id)
        )
        events = session.scalars(
            select(OutboxMessage.aggregate_id).where(OutboxMessage.type == "TaskCreated")
        )
        plans = session.execute(
            select(CallPlanView.plan_id, CallPlanView.state, CallPlanView.revision).order_by(
                CallPlanView.plan_id
            )
        )
        assert [t.subject_id for t in tasks] == sorted(leads)
        assert list(told) == [t.id for t in tasks]
        assert sorted(map(int, events)) == [t.id for t in tasks]
        assert [tuple(p) for p in plans] == [(1, "due", 2), (2, "due", 2), (3, "due", 2)]
        # The managers' report counts each call planned once, the batch's two in one statement.
        planned = session.scalar(select(func.sum(ManagerDay.planned_calls)))
        assert planned == len(leads)
    assert all(t.planned_at is not None and t.due_at >= t.planned_at for t in tasks)


def test_a_batch_of_plan_revisions_keeps_the_newest_of_each_plan(sessions, manager, leads):
    revisions = [(1, 2), (1, 4), (2, 1), (1, 3), (1, 4)]
    messages = [
        received(envelope("CallPlanned", plan_data(plan_id, leads[0], manager.id, revision=rev)))
        for plan_id, rev in revisions
    ]
    assert in_one_group(sessions, *messages) == {}
    assert in_one_group(sessions, messages[0]) == {}  # an older one, later
    with sessions() as session:
        plans = session.execute(select(CallPlanView.plan_id, CallPlanView.revision))
        assert sorted(tuple(p) for p in plans) == [(1, 4), (2, 1)]


def test_a_batch_of_in_app_deliveries_puts_one_notification_per_key(sessions, manager):
    def deliver(key: str) -> dict:
        data = {"key": key, "recipient_id": manager.id, "text": f"Reminder {key}"}
        return received(envelope("DeliverInApp", data))

    first, again = deliver("reminder:1"), deliver("reminder:1")
    assert in_one_group(sessions, first, deliver("reminder:2"), again, first) == {}
    with sessions() as session:
        keys = session.scalars(select(Notification.key).order_by(Notification.key)).all()
    assert keys == ["reminder:1", "reminder:2"]


def plan(sessions, plan_id: int, lead_id: int, manager_id: int, revision: int) -> None:
    message = received(envelope("CallPlanned", plan_data(plan_id, lead_id, manager_id, revision)))
    assert in_one_group(sessions, message) == {}


def plan_data(plan_id: int, lead_id: int, manager_id: int, revision: int) -> dict:
    return {
        "plan_id": plan_id,
        "subject_kind": "lead",
        "subject_id": lead_id,
        "responsible_id": manager_id,
        "status_id": 1,
        "next_call_at": utcnow().isoformat(),
        "state": "planned",
        "revision": revision,
    }


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


def create_tasks(*commands: dict) -> dict:
    """A CreateTasks envelope of the CreateTask commands' data, as received."""
    return received(envelope("CreateTasks", {"tasks": [c["data"] for c in commands]}))


def test_tasks_sent_in_batches_are_made_once_per_key_whatever_batch_brings_them_again(
    sessions, manager, leads, caplog
):
    first, second, third = [create_task(n, lead, manager.id) for n, lead in enumerate(leads, 1)]
    batch = create_tasks(first, second)

    with caplog.at_level(logging.INFO, logger="shared.group_commit"):
        # Redelivered, and its second task again in another batch with a new one.
        errors = in_one_group(sessions, batch, batch, create_tasks(second, third))

    assert errors == {}
    assert "batch rolled back" not in caplog.text
    with sessions() as session:
        subjects = session.scalars(select(Task.subject_id).order_by(Task.subject_id)).all()
    assert subjects == sorted(leads)


def test_a_batch_of_tasks_with_one_for_a_missing_lead_is_split_and_only_that_one_fails(
    broker, amqp, sessions, manager, leads
):
    calls = [create_task(n, lead, manager.id) for n, lead in enumerate(leads, 1)]
    missing = create_task(99, 10_000, manager.id)
    with running_worker(broker, CRM):
        to_queue(broker, CRM, create_tasks(calls[0], missing, *calls[1:]))

        def singles():
            with sessions() as session:
                return session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.type == "CreateTask")
                    .order_by(OutboxMessage.id)
                ).all()

        # Each task came back as a CreateTask of its own for the CRM's queue, none made yet.
        eventually(lambda: len(singles()) == 4)
        split = singles()
        assert [(row.queue, row.data["key"]) for row in split] == [
            (CRM, c["data"]["key"]) for c in (calls[0], missing, *calls[1:])
        ]
        assert split[1].message_id == derived_id("CreateTask", missing["data"]["key"])
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Task)) == 0

        # Relayed, the three that can be made are, and the missing lead's is dead-lettered.
        for row in split:
            to_queue(broker, CRM, to_envelope(row))

        def dead_lettered():
            method, props, body = amqp.basic_get(queue=f"{CRM}.XQ", auto_ack=True)
            if method is not None and json.loads(body)["message_id"] == str(split[1].message_id):
                return props.headers[REASON_HEADER]
            return None

        assert eventually(dead_lettered) == "NotFound: lead 10000 not found"
        broker.join(CRM)
    with sessions() as session:
        subjects = session.scalars(select(Task.subject_id).order_by(Task.subject_id)).all()
    assert subjects == sorted(leads)
