"""Dead letters: the operator reads why a message was refused, fixes the cause, replays it."""

from __future__ import annotations

import json

import pytest
from dramatiq.common import dq_name, xq_name
from sqlalchemy import func, select

from services.crm.adapters.orm import Lead, StatusAssignment
from services.crm.adapters.work import Task
from services.crm.domain.roles import Actor, Role
from services.crm.handlers.leads import create_lead
from shared.contracts import CRM, SCHEDULER, envelope
from shared.db import transaction, utcnow
from shared.publisher import to_queue
from tests import factories
from tests.helpers import eventually, running_worker
from tests.integration.ops.conftest import status_id


@pytest.fixture()
def crm_worker(broker):
    """The CRM worker's actor consuming the run's "crm" queue in this process."""
    with running_worker(broker, CRM) as worker:
        yield worker


def dead(amqp, queue: str) -> int:
    return amqp.queue_declare(queue=xq_name(queue), passive=True).method.message_count


def assign(broker, sessions, lead_id: int, reason: str) -> dict:
    env = envelope(
        "AssignStatus",
        {
            "subject_kind": "lead",
            "subject_id": lead_id,
            "status_id": status_id(sessions, "Warm"),
            "reason": reason,
        },
    )
    to_queue(broker, CRM, env)
    return env


def lead_status(sessions, lead_id: int) -> int | None:
    with sessions() as session:
        return session.scalar(select(Lead.status_id).where(Lead.id == lead_id))


def history(sessions, lead_id: int) -> list[str | None]:
    with sessions() as session:
        rows = session.scalars(
            select(StatusAssignment.reason).where(
                StatusAssignment.subject_kind == "lead", StatusAssignment.subject_id == lead_id
            )
        )
        return list(rows)


def test_a_status_for_a_lead_that_did_not_exist_yet_is_assigned_once_its_dead_letter_is_replayed(
    ops, service_queues, broker, sessions, settings, crm_worker, clean_db
):
    first = assign(broker, sessions, 1, "web shop order")
    second = assign(broker, sessions, 2, "trade fair")
    eventually(lambda: dead(service_queues, CRM) == 2)

    listed = ops("dead-letters", "crm").stdout.splitlines()
    assert sorted(listed) == sorted(
        [
            f"{first['message_id']}\tAssignStatus\tNotFound: lead 1 not found",
            f"{second['message_id']}\tAssignStatus\tNotFound: lead 2 not found",
        ]
    )
    assert dead(service_queues, CRM) == 2, "listing must leave the dead letters where they are"

    admin_id, _ = factories.employee(sessions, "admin")
    with transaction(sessions) as session:
        assert (
            create_lead(session, Actor(admin_id, Role.ADMIN), {"name": "Globex"}, settings).id == 1
        )

    replayed = ops("replay", "crm", "--message-id", first["message_id"]).stdout
    assert replayed.split() == [first["message_id"]]

    warm = status_id(sessions, "Warm")
    eventually(lambda: lead_status(sessions, 1) == warm)
    assert history(sessions, 1) == ["web shop order"]
    # The message for lead 2 was not chosen: still dead, still explained.
    assert dead(service_queues, CRM) == 1
    assert "lead 2 not found" in ops("dead-letters", "crm").stdout


def test_queues_shows_what_waits_in_each_service_queue_and_its_dead_letters(
    ops, service_queues, broker
):
    for _ in range(2):
        to_queue(broker, SCHEDULER, envelope("CancelTimer", {"key": "reminder:1"}))
    service_queues.basic_publish(exchange="", routing_key=xq_name(CRM), body=b"{}")

    rows = {line.split()[0]: line.split()[1:] for line in ops("queues").stdout.splitlines()[1:]}
    # ready, consumers, delayed, dead
    assert rows["scheduler"][0] == "2"
    assert rows["crm"][3] == "1"


def test_a_task_that_can_never_be_stored_is_dead_lettered_once_with_its_reason(
    ops, service_queues, broker, sessions, settings, crm_worker, clean_db
):
    manager_id, _ = factories.employee(sessions, "manager")
    with transaction(sessions) as session:
        lead = create_lead(session, Actor(manager_id, Role.MANAGER), {"name": "Globex"}, settings)
    command = envelope(
        "CreateTask",
        {
            "key": "other:1",
            "kind": "other",
            "assignee_id": manager_id,
            "subject_kind": "lead",
            "subject_id": lead.id,
            "due_at": utcnow().isoformat(),
            # A valid id to the contract, beyond what the column holds: no retry stores it.
            "plan_id": 2**31,
        },
    )
    to_queue(broker, CRM, command)

    eventually(lambda: dead(service_queues, CRM) == 1)
    [listed] = ops("dead-letters", "crm").stdout.splitlines()
    message_id, type_, reason = listed.split("\t")
    assert (message_id, type_) == (command["message_id"], "CreateTask")
    assert "out of range" in reason
    # Not retried: nothing waits out a back-off, and the one copy carries no retry count.
    delayed = service_queues.queue_declare(queue=dq_name(CRM), passive=True)
    assert delayed.method.message_count == 0
    [letter] = map(json.loads, ops("dead-letters", "crm", "--json").stdout.splitlines())
    assert "retries" not in letter["message"]["options"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 0
