"""Due calls become tasks: one per due call, for the right manager."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from services.notifier.handlers.calls import NoAssignee
from shared.batch_messages import batch_id
from shared.contracts import envelope
from shared.outbox import to_envelope
from shared.publisher import derived_id
from tests.helpers import consumed_in_one_group
from tests.integration.notifier.conftest import employee

DUE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def call_due(plan_id: int, responsible_id: int | None, due_at: datetime = DUE) -> dict:
    return {
        "plan_id": plan_id,
        "subject_kind": "lead",
        "subject_id": plan_id + 500,
        "responsible_id": responsible_id,
        "status_id": 2,
        "status_version": 1,
        "due_at": due_at.isoformat(),
    }


def assignees(notifier) -> list[int]:
    return [task["assignee_id"] for task in notifier.tasks()]


def test_a_due_call_becomes_exactly_one_task_for_the_responsible_even_when_redelivered(notifier):
    notifier.employees(employee(11), employee(12))
    env = notifier.send("CallDue", call_due(7, responsible_id=11))
    notifier.resend(env)  # the broker redelivers the same message
    notifier.send("CallDue", call_due(7, responsible_id=11))  # the scheduler re-emits it
    notifier.settle()

    [row] = notifier.outbox("CreateTasks")
    key = f"call:7:{DUE.isoformat()}"
    assert row.queue == "crm"
    assert row.message_id == batch_id("CreateTasks", [key])
    assert row.data["tasks"] == [
        {
            "key": key,
            "kind": "call",
            "title": None,
            "assignee_id": 11,
            "subject_kind": "lead",
            "subject_id": 507,
            "due_at": DUE.isoformat(),
            "plan_id": 7,
            "status_id": 2,
            "status_version": 1,  # carried on, so the CRM can drop a call of an edited rule
            "plan_revision": None,  # a CallDue of before revisions carries none
        }
    ]


def test_the_next_due_time_of_the_same_plan_is_a_new_task(notifier):
    notifier.employees(employee(11))
    notifier.send("CallDue", call_due(7, 11))
    notifier.send("CallDue", call_due(7, 11, DUE + timedelta(days=3)))
    notifier.settle()
    assert len(notifier.tasks()) == 2


def test_calls_of_an_inactive_or_unknown_responsible_go_round_the_departments_managers(notifier):
    notifier.employees(
        employee(21),
        employee(23),
        employee(22),
        employee(24, active=False),  # the responsible, who left
        employee(25, role="head_of_sales"),
        employee(31, department="Retail"),
        employee(32, department="Retail", active=False),
    )
    for plan_id in range(1, 5):
        notifier.send("CallDue", call_due(plan_id, responsible_id=24))
    notifier.send("CallDue", call_due(5, responsible_id=None))  # default department: Sales
    notifier.send("CallDue", call_due(6, responsible_id=999))  # not in the directory
    notifier.send("CallDue", call_due(7, responsible_id=32))  # Retail's own rotation
    notifier.settle()

    assert assignees(notifier) == [21, 22, 23, 21, 22, 23, 31]


def test_rotation_state_survives_and_skips_a_manager_who_was_deactivated_meanwhile(notifier):
    notifier.employees(employee(21), employee(22), employee(23), employee(24, active=False))
    notifier.send("CallDue", call_due(1, responsible_id=24))
    notifier.settle()
    notifier.employees(employee(22, active=False))
    notifier.send("CallDue", call_due(2, responsible_id=24))
    notifier.settle()
    assert assignees(notifier) == [21, 23]


def test_a_late_older_directory_change_does_not_undo_a_newer_one(notifier):
    now = datetime.now(UTC)
    notifier.send("EmployeeChanged", employee(41, active=False), occurred_at=now)
    notifier.send("EmployeeChanged", employee(41), occurred_at=now - timedelta(minutes=1))
    notifier.employees(employee(42))
    notifier.send("CallDue", call_due(1, responsible_id=41))
    notifier.settle()
    assert assignees(notifier) == [42]


def test_the_call_task_carries_the_plans_due_revision_for_the_calls_panel(notifier):
    notifier.employees(employee(11))
    notifier.send("CallDue", {**call_due(7, 11), "revision": 4})
    notifier.settle()
    [task] = notifier.tasks()
    assert task["plan_revision"] == 4


def in_one_group(sessions, *envelopes: dict) -> dict[str, BaseException]:
    from services.notifier.adapters.orm import InboxMessage
    from services.notifier.entrypoints.actors import BATCHES, HANDLERS

    messages = [json.loads(json.dumps(env)) for env in envelopes]  # as received
    return consumed_in_one_group(sessions, InboxMessage, HANDLERS, BATCHES, messages)


def test_a_group_of_due_calls_gives_each_call_one_task_whichever_way_it_comes_again(
    notifier, sessions, caplog
):
    notifier.employees(employee(11), employee(12))
    assigned_before = notifier.send("CallDue", call_due(3, 11))
    notifier.settle()
    first, second = envelope("CallDue", call_due(1, 11)), envelope("CallDue", call_due(2, 12))
    reemitted = envelope("CallDue", call_due(2, 12))  # the same call under another id

    with caplog.at_level(logging.INFO, logger="shared.group_commit"):
        errors = in_one_group(sessions, first, second, second, reemitted, assigned_before)

    assert errors == {}
    assert "batch rolled back" not in caplog.text  # the batch form assigned them
    tasks = {task["plan_id"]: task["assignee_id"] for task in notifier.tasks()}
    assert len(notifier.tasks()) == 3
    assert tasks == {1: 11, 2: 12, 3: 11}


def test_a_due_call_nobody_can_take_fails_alone_in_its_group(notifier, sessions):
    # Heads take their own subjects' calls; nobody takes the calls of someone unknown.
    notifier.employees(employee(11, role="head_of_sales"), employee(12, role="head_of_sales"))
    first, second = envelope("CallDue", call_due(1, 11)), envelope("CallDue", call_due(2, 12))
    nobody = envelope("CallDue", call_due(4, responsible_id=999))

    errors = in_one_group(sessions, first, nobody, second)

    assert list(errors) == [nobody["message_id"]]
    assert isinstance(errors[nobody["message_id"]], NoAssignee)
    assert assignees(notifier) == [11, 12]


def test_due_calls_in_one_message_become_their_tasks_once_whatever_batch_brings_them_again(
    notifier,
):
    notifier.employees(employee(11), employee(12))
    batch = notifier.send("CallsDue", {"calls": [call_due(1, 11), call_due(2, 12)]})
    notifier.resend(batch)  # the broker redelivers it
    # A tick killed before the confirms sends its calls again, with others, in a new batch.
    notifier.send("CallsDue", {"calls": [call_due(2, 12), call_due(3, 11)]})
    notifier.settle()

    assert {task["plan_id"]: task["assignee_id"] for task in notifier.tasks()} == {
        1: 11,
        2: 12,
        3: 11,
    }
    assert len(notifier.tasks()) == 3
    # The tasks of a batch go to the CRM in one message.
    assert [len(row.data["tasks"]) for row in notifier.outbox("CreateTasks")] == [2, 1]


def test_a_batch_with_a_call_nobody_can_take_is_split_and_the_others_become_tasks(notifier):
    notifier.employees(employee(11, role="head_of_sales"), employee(12, role="head_of_sales"))
    nobody = call_due(4, responsible_id=999)
    notifier.send("CallsDue", {"calls": [call_due(1, 11), nobody, call_due(2, 12)]})
    notifier.settle()

    # Each call came back as a CallDue of its own, under the id the scheduler gives it...
    singles = notifier.outbox("CallDue")
    assert [(row.queue, row.data["plan_id"]) for row in singles] == [
        ("notifier", 1),
        ("notifier", 4),
        ("notifier", 2),
    ]
    assert singles[1].message_id == derived_id("CallDue", 4, 1, DUE.isoformat())
    assert notifier.tasks() == []
    # ...so, once relayed, the two that can be taken become tasks; the third fails alone.
    for row in singles:
        notifier.resend(to_envelope(row))
    notifier.settle()
    assert assignees(notifier) == [11, 12]
