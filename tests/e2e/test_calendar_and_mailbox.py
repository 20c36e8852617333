"""Where processes meet: the working calendar edited through the API re-plans a waiting call
through the real scheduler, and an e-mail sent over SMTP to the real mail process becomes a
registration."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from shared import config
from shared.calendar import configured, due_after
from tests import factories
from tests.e2e.test_calling_loop import Api
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")


def next_call_at(manager, lead_id):
    shown = manager("GET", f"/api/leads/{lead_id}")["next_call"]
    return datetime.fromisoformat(shown["at"]) if shown and shown["at"] else None


def test_a_holiday_and_a_time_zone_change_re_plan_the_call_through_the_scheduler(system, sessions):
    system.start("api", "relay", "worker", "scheduler", "scheduler-worker")
    admin = Api(system.url, factories.employee(sessions, "admin")[1])
    manager_id, token = factories.employee(sessions, "manager", timezone="Europe/Berlin")
    manager = Api(system.url, token)
    status = admin(
        "POST", "/api/interaction-statuses", 201, json={"name": "Daily", "call_interval_days": 1}
    )
    lead = manager("POST", "/api/leads", 201, json={"name": "Globex", "responsible_id": manager_id})
    answer = manager("POST", f"/api/leads/{lead['id']}/status", json={"status_id": status["id"]})
    planned = datetime.fromisoformat(answer["next_call_at"])

    # The scheduler, which owns the plan, lands the call where the CRM said it would.
    assert eventually(lambda: next_call_at(manager, lead["id"]) == planned, timeout=60)

    day = planned.astimezone(BERLIN).date()
    admin("POST", "/api/holidays", 201, json={"day": day.isoformat(), "name": "Company day"})
    moved = eventually(
        lambda: (at := next_call_at(manager, lead["id"])) != planned and at, timeout=60
    )
    local = moved.astimezone(BERLIN)
    assert local.date() > day and (local.hour, local.minute) == (9, 0)

    manager("PATCH", f"/api/employees/{manager_id}", json={"timezone": "America/New_York"})
    new_york = eventually(
        lambda: (at := next_call_at(manager, lead["id"])) != moved and at, timeout=60
    )
    # Counted again from the assignment, on New York's calendar days, the holiday skipped.
    calendar = replace(configured(config.load()), holidays=frozenset({day}))
    assigned_at = datetime.fromisoformat(answer["status_assigned_at"])
    assert new_york == due_after(calendar, assigned_at, 1, "America/New_York")
    assert new_york.astimezone(ZoneInfo("America/New_York")).hour == 9


def test_an_e_mail_to_the_sales_address_becomes_a_registration(system, sessions):
    system.env["SALES_ADDRESSES"] = "sales@crm.example"
    system.start("api", "mail")
    secretary = Api(system.url, factories.employee(sessions, "secretary")[1])
    message = EmailMessage()
    message["From"], message["To"] = "Jane Doe <jane@newco.example>", "sales@crm.example"
    message["Subject"] = "Price list please"
    message.set_content("We need 40 units.")

    def send() -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", system.mail_port, timeout=5) as client:
                client.send_message(message)
            return True
        except OSError:
            return False  # the mail process is still starting

    eventually(send, timeout=30, interval=0.5)
    [process] = eventually(lambda: secretary("GET", "/api/processes"), timeout=30)
    [registration] = secretary("GET", "/api/documents", params={"process_id": process["id"]})
    assert (registration["kind"], registration["step"]) == ("email", "registration")
    assert registration["contacts"][0]["email"] == "jane@newco.example"
    assert "We need 40 units." in registration["content"]
