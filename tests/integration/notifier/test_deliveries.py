"""Fired reminders reach their recipient once per channel: in-app, e-mail, webhook."""

from __future__ import annotations

from standardwebhooks import Webhook

from shared.publisher import derived_id
from shared.webhooks import recipient_secret
from tests.helpers import eventually
from tests.integration.notifier.conftest import WEBHOOK_SECRET, employee, reminder, timer_fired


def all_settled(notifier, notification: str, count: int):
    rows = notifier.deliveries(notification)
    return len(rows) == count and all(r.state != "pending" for r in rows) and rows


def test_a_fired_reminder_is_delivered_once_through_each_channel_even_when_redelivered(
    notifier, delivery_workers, smtp, webhooks
):
    url = f"{webhooks.url}/hooks/11"
    notifier.employees(employee(11, channels=["email", "in_app", "webhook"], webhook_url=url))
    data = reminder(5, 11, text="Send the proposal to Globex")
    notifier.send("ReminderScheduled", data)
    fired = notifier.send("TimerFired", timer_fired(data))
    notifier.resend(fired)  # redelivered by the broker
    notifier.send("TimerFired", timer_fired(data))  # fired again by a re-sent command
    notifier.settle()

    rows = eventually(lambda: all_settled(notifier, "reminder:5", 3))
    assert [(r.channel, r.state, r.attempts) for r in rows] == [
        ("email", "delivered", 1),
        ("in_app", "delivered", 1),
        ("webhook", "delivered", 1),
    ]
    assert all(r.delivered_at is not None for r in rows)

    [in_app] = notifier.outbox("DeliverInApp")
    assert in_app.queue == "crm"
    assert in_app.message_id == derived_id("DeliverInApp", "reminder:5:in_app")
    assert in_app.data == {
        "key": "reminder:5:in_app",
        "recipient_id": 11,
        "text": "Send the proposal to Globex",
        "reminder_id": 5,
        "task_id": None,
    }

    [mail] = smtp.to("e11@example.com")
    assert mail["Subject"] == "Reminder: Send the proposal to Globex"
    assert mail.get_content().strip() == "Send the proposal to Globex"

    [hook] = webhooks.received("/hooks/11")
    secret = recipient_secret(WEBHOOK_SECRET, 11, 1)
    body = Webhook(secret).verify(hook["body"], hook["headers"])
    assert hook["headers"]["webhook-id"] == "reminder:5:webhook"
    assert (body["event"], body["reminder_id"], body["recipient_id"]) == ("reminder", 5, 11)
    assert body["text"] == "Send the proposal to Globex"


def test_without_channel_preferences_a_reminder_goes_to_the_in_app_inbox_only(notifier):
    notifier.employees(employee(11, channels=[]))
    data = reminder(5, 11)
    notifier.send("ReminderScheduled", data)
    notifier.send("TimerFired", timer_fired(data))
    notifier.settle()
    assert [(r.channel, r.state) for r in notifier.deliveries()] == [("in_app", "delivered")]


def test_a_failing_webhook_is_retried_with_backoff_and_the_log_counts_the_attempts(
    notifier, delivery_workers, smtp, webhooks
):
    webhooks.fail["/flaky"] = 2
    webhooks.fail["/down"] = 1000
    notifier.employees(
        employee(11, channels=["webhook"], webhook_url=f"{webhooks.url}/flaky"),
        employee(12, channels=["webhook", "email"], webhook_url=f"{webhooks.url}/down"),
    )
    flaky, down = reminder(5, 11), reminder(6, 12)
    for data in (flaky, down):
        notifier.send("ReminderScheduled", data)
        notifier.send("TimerFired", timer_fired(data))
    notifier.settle()

    [recovered] = eventually(lambda: all_settled(notifier, "reminder:5", 1))
    assert (recovered.state, recovered.attempts) == ("delivered", 3)
    assert recovered.last_error == "HTTP 503 Service Unavailable"
    assert len(webhooks.received("/flaky")) == 1

    email, webhook = eventually(lambda: all_settled(notifier, "reminder:6", 2))
    # The dead webhook did not hold up the same reminder's e-mail.
    assert (email.state, email.attempts) == ("delivered", 1)
    assert len(smtp.to("e12@example.com")) == 1
    assert (webhook.state, webhook.attempts, webhook.delivered_at) == ("failed", 4, None)
    assert webhook.last_error == "HTTP 503 Service Unavailable"
    assert webhooks.calls["/down"] == 4


def test_an_unreachable_smtp_server_leaves_the_email_pending_for_a_retry(
    notifier, sessions, settings
):
    from dataclasses import replace

    from services.notifier.adapters.delivery_worker import DeliveryWorker

    notifier.employees(employee(11, channels=["email"]))
    data = reminder(5, 11)
    notifier.send("ReminderScheduled", data)
    notifier.send("TimerFired", timer_fired(data))
    notifier.settle()

    closed_port = replace(settings, smtp_port=1, delivery_backoff_seconds=60)
    assert DeliveryWorker(sessions, closed_port).drain() == 1
    [row] = notifier.deliveries()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error
