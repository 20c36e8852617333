"""Reminders: a timer at the scheduler for each, called off by a cancel or a closed basis."""

from __future__ import annotations

from datetime import timedelta

from services.notifier.adapters.outbox import Relay
from shared.db import utcnow
from tests.helpers import drain_queue
from tests.integration.notifier.conftest import employee, reminder, timer_fired


def test_a_reminder_asks_the_scheduler_for_a_timer_that_reaches_its_queue(
    notifier, broker, settings, amqp
):
    data = reminder(5, recipient_id=11, remind_at=utcnow() + timedelta(minutes=5))
    env = notifier.send("ReminderScheduled", data)
    notifier.resend(env)
    notifier.settle()

    [row] = notifier.outbox("ScheduleTimer")
    assert row.queue == "scheduler"
    assert row.data == {
        "key": "reminder:5",
        "fire_at": data["remind_at"],
        "reply_to": "notifier",
        "payload": {"reminder_id": 5},
    }
    broker.declare_queue("scheduler", ensure=True)
    amqp.queue_purge("scheduler")
    Relay(notifier.sessions, broker, settings.events_exchange).drain()
    [(_, _, message)] = drain_queue(amqp, "scheduler")
    assert message["args"][0]["type"] == "ScheduleTimer"
    assert message["message_id"] == str(row.message_id)


def test_cancelling_a_reminder_cancels_its_timer(notifier):
    notifier.send("ReminderScheduled", reminder(5, 11))
    notifier.send("ReminderCancelled", {"reminder_id": 5})
    notifier.settle()
    [cancel] = notifier.outbox("CancelTimer")
    assert cancel.data == {"key": "reminder:5"}


def test_closing_the_basis_document_cancels_the_timers_of_its_reminders(notifier):
    notifier.send("ReminderScheduled", reminder(5, 11, basis_id=70))
    notifier.send("ReminderScheduled", reminder(6, 11, basis_id=70))
    notifier.send("ReminderScheduled", reminder(7, 11, basis_id=71))
    notifier.send("DocumentClosed", {"document_kind": "task", "document_id": 70, "state": "done"})
    notifier.settle()
    assert sorted(c.data["key"] for c in notifier.outbox("CancelTimer")) == [
        "reminder:5",
        "reminder:6",
    ]


def test_a_reminder_on_an_already_closed_document_gets_no_timer(notifier):
    notifier.send(
        "DocumentClosed", {"document_kind": "task", "document_id": 70, "state": "cancelled"}
    )
    notifier.send("ReminderScheduled", reminder(5, 11, basis_id=70))
    notifier.settle()
    assert notifier.outbox("ScheduleTimer") == []


def test_a_cancel_that_overtakes_its_schedule_still_wins(notifier):
    scheduled = reminder(5, 11)
    now = utcnow()
    notifier.send("ReminderCancelled", {"reminder_id": 5}, occurred_at=now)
    notifier.send("ReminderScheduled", scheduled, occurred_at=now - timedelta(seconds=1))
    notifier.send("TimerFired", timer_fired(scheduled))
    notifier.settle()
    assert notifier.outbox("ScheduleTimer") == []
    assert notifier.deliveries() == []


def test_a_fired_reminder_that_was_cancelled_or_whose_basis_closed_is_not_delivered(
    notifier, delivery_workers, smtp
):
    notifier.employees(employee(11, channels=["in_app", "email"]))
    cancelled, closed = reminder(5, 11), reminder(6, 11, basis_id=70)
    notifier.send("ReminderScheduled", cancelled)
    notifier.send("ReminderScheduled", closed)
    notifier.send("ReminderCancelled", {"reminder_id": 5})
    notifier.send("DocumentClosed", {"document_kind": "task", "document_id": 70, "state": "done"})
    # The scheduler had already fired both timers when the cancels reached it.
    notifier.send("TimerFired", timer_fired(cancelled))
    notifier.send("TimerFired", timer_fired(closed))
    notifier.settle()

    assert notifier.deliveries() == []
    assert notifier.outbox("DeliverInApp") == []
    assert smtp.to("e11@example.com") == []


def test_a_delivered_reminder_is_published_once_for_the_crm_to_show(notifier):
    notifier.employees(employee(11))
    data = reminder(9, 11)
    notifier.send("ReminderScheduled", data)
    fired = notifier.send("TimerFired", timer_fired(data))
    notifier.resend(fired)
    notifier.send("TimerFired", timer_fired(data))  # fired again: nothing new to deliver
    notifier.settle()
    [delivered] = notifier.outbox("ReminderDelivered")
    assert delivered.queue is None  # an event: to crm.events and the CRM's queue
    assert (delivered.data["reminder_id"], delivered.data["channels"]) == (9, ["in_app"])
