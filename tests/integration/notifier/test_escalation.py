"""Overdue tasks are escalated to the head of the assignee's department, once."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from tests.helpers import eventually
from tests.integration.notifier.conftest import employee


def overdue(task_id: int, assignee_id: int | None) -> dict:
    return {
        "task_id": task_id,
        "assignee_id": assignee_id,
        "title": "Call Globex",
        "due_at": "2026-11-26T09:00:00+00:00",
    }


def test_an_overdue_task_is_escalated_once_to_the_head_of_the_assignees_department(
    notifier, delivery_workers, smtp
):
    notifier.employees(
        employee(11, name="Maria"),
        employee(15, role="head_of_sales", channels=["in_app", "email"]),
        employee(16, role="head_of_sales", department="Retail"),
        employee(21, role="executor", department="Execution"),
        employee(25, role="head_of_execution", department="Execution"),
    )
    env = notifier.send("TaskOverdue", overdue(3, 11))
    notifier.resend(env)
    notifier.send("TaskOverdue", overdue(3, 11))
    notifier.send("TaskOverdue", overdue(4, 21))
    notifier.settle()

    [to_head_of_sales, to_head_of_execution] = notifier.outbox("DeliverInApp")
    assert to_head_of_sales.data["key"] == "escalation:3"
    assert to_head_of_sales.data["recipient_id"] == 15
    assert to_head_of_sales.data["task_id"] == 3
    assert "Call Globex" in to_head_of_sales.data["text"]
    assert "Maria" in to_head_of_sales.data["text"]
    assert (to_head_of_execution.data["key"], to_head_of_execution.data["recipient_id"]) == (
        "escalation:4",
        25,
    )
    [mail] = eventually(lambda: smtp.to("e15@example.com"))
    assert mail["Subject"] == "Overdue: Call Globex"


def test_an_overdue_task_with_no_head_to_tell_notifies_nobody(notifier):
    notifier.employees(employee(11), employee(15, role="head_of_sales", active=False))
    notifier.send("TaskOverdue", overdue(3, 11))
    notifier.settle()
    assert notifier.outbox("DeliverInApp") == []


def test_an_overdue_claim_is_escalated_once_to_the_head_of_its_responsibles_department(
    notifier, delivery_workers, smtp
):
    notifier.employees(
        employee(11, name="Maria"),
        employee(17, role="head_of_sales", channels=["in_app", "email"]),
    )
    claim = {
        "claim_id": 7,
        "responsible_id": 11,
        "title": "Broken pump",
        "counterparty_name": "Globex",
        "deadline": "2026-11-26T09:00:00+00:00",
    }
    env = notifier.send("ClaimOverdue", claim)
    notifier.resend(env)
    notifier.send("ClaimOverdue", claim)
    notifier.settle()

    [to_head] = notifier.outbox("DeliverInApp")
    assert (to_head.data["key"], to_head.data["recipient_id"]) == ("claim-escalation:7", 17)
    assert to_head.data["task_id"] is None
    text = to_head.data["text"]
    assert all(part in text for part in ("No. 7", "Globex", "Broken pump", "Maria"))
    [mail] = eventually(lambda: smtp.to("e17@example.com"))
    assert mail["Subject"] == "Overdue claim: Broken pump"


def test_an_overdue_claim_reaches_a_ukrainian_head_in_ukrainian_at_her_local_time(notifier):
    notifier.employees(
        employee(11, name="Maria"),
        employee(17, role="head_of_sales", locale="uk", timezone="Europe/Kyiv"),
    )
    notifier.send(
        "ClaimOverdue",
        {
            "claim_id": 7,
            "responsible_id": 11,
            "title": "Broken pump",
            "counterparty_name": "Globex",
            "deadline": "2026-11-26T09:00:00+00:00",
        },
    )
    notifier.settle()
    [to_head] = notifier.outbox("DeliverInApp")
    day = format_date(date(2026, 11, 26), "medium", locale="uk")
    assert to_head.data["text"].endswith(
        "Претензія № 7 від Globex «Broken pump», яку веде Maria, мала бути врегульована до "
        f"{day}, 11:00, але не врегульована."
    )
