"""Claims work in the CRM: taken in, reminded, re-planned, resolved, escalated at the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from shared.contracts import CRM, SCHEDULER
from shared.db import transaction, utcnow
from tests import factories
from tests.integration.crm.analytics.support import run_command
from tests.integration.crm.support import created, field_errors, outbox_of


@pytest.fixture()
def office(as_role, admin, sessions, settings):
    """Helen heads Sales, Alice manages the customer Globex there; Carol is in Export."""
    helen = as_role("head_of_sales", department="Sales")
    alice = as_role("manager", department="Sales")
    carol = as_role("manager", department="Export")
    secretary = as_role("secretary")
    with transaction(sessions) as session:
        names = ("Globex LLC", "Globex Retail")
        item, customers = factories.buyers(
            session, admin.id, settings, names, responsible_id=alice.id
        )
        orders = [
            factories.routed_order(session, c, [(item, "1", "10")], utcnow()).id for c in customers
        ]
    return helen, alice, carol, secretary, customers, orders


def claim_body(customer: int, order: int, deadline: datetime, **extra) -> dict:
    return {
        "counterparty_id": customer,
        "basis_kind": "order",
        "basis_id": order,
        "title": "Broken pump",
        "deadline": deadline.isoformat(),
        **extra,
    }


def test_a_claim_reminds_its_responsible_a_day_before_and_sets_the_deadline_timer(office, sessions):
    _, alice, _, secretary, customers, orders = office
    deadline = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    claim = created(secretary, "/api/claims", **claim_body(customers[0], orders[0], deadline))
    assert (claim["state"], claim["responsible_id"], claim["overdue"]) == ("open", alice.id, False)
    [reminder] = outbox_of(sessions, "ReminderScheduled")
    assert (
        reminder.data["recipient_id"],
        reminder.data["basis_kind"],
        reminder.data["basis_id"],
    ) == (
        alice.id,
        "claim",
        claim["id"],
    )
    assert datetime.fromisoformat(reminder.data["remind_at"]) == deadline - timedelta(days=1)
    assert "Broken pump" in reminder.data["text"] and "Globex LLC" in reminder.data["text"]
    [timer] = outbox_of(sessions, "ScheduleTimer")
    assert timer.queue == SCHEDULER
    assert (timer.data["key"], timer.data["reply_to"]) == (f"claim:{claim['id']}:deadline", CRM)
    assert datetime.fromisoformat(timer.data["fire_at"]) == deadline


def test_the_claim_reminder_is_written_in_its_responsibles_language_and_zone(
    office, admin, sessions
):
    _, alice, _, secretary, customers, orders = office
    admin.patch(f"/api/employees/{alice.id}", json={"locale": "ru", "timezone": "Europe/Kyiv"})
    deadline = datetime(2030, 3, 4, 7, 30, tzinfo=UTC)  # 09:30 in Kyiv
    created(secretary, "/api/claims", **claim_body(customers[0], orders[0], deadline))
    [reminder] = outbox_of(sessions, "ReminderScheduled")
    day = format_date(deadline.astimezone(ZoneInfo("Europe/Kyiv")), "medium", locale="ru")
    assert reminder.data["text"] == (
        f"Претензия № 1 от Globex LLC: «Broken pump» должна быть урегулирована до {day}, 09:30."
    )


def test_a_claim_due_within_a_day_is_reminded_at_once(office, sessions):
    _, _, _, secretary, customers, orders = office
    created(
        secretary,
        "/api/claims",
        **claim_body(customers[0], orders[0], utcnow() + timedelta(hours=2)),
    )
    [reminder] = outbox_of(sessions, "ReminderScheduled")
    assert datetime.fromisoformat(reminder.data["remind_at"]) <= utcnow()


def test_a_new_deadline_replans_the_reminder_and_the_timer(office, sessions):
    _, alice, _, secretary, customers, orders = office
    claim = created(
        secretary,
        "/api/claims",
        **claim_body(customers[0], orders[0], utcnow() + timedelta(days=3)),
    )
    later = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    r = alice.patch(f"/api/claims/{claim['id']}", json={"deadline": later.isoformat()})
    assert r.status_code == 200 and r.json["reminder_id"] != claim["reminder_id"]
    [cancelled] = outbox_of(sessions, "ReminderCancelled")
    assert cancelled.data["reminder_id"] == claim["reminder_id"]
    timers = outbox_of(sessions, "ScheduleTimer")
    assert [datetime.fromisoformat(t.data["fire_at"]) for t in timers][-1] == later


def test_resolving_a_claim_closes_it_and_calls_off_its_reminder_and_timer(office, sessions):
    helen, alice, carol, secretary, customers, orders = office
    claim = created(
        secretary,
        "/api/claims",
        **claim_body(customers[0], orders[0], utcnow() + timedelta(days=3)),
    )
    url = f"/api/claims/{claim['id']}"
    resolution = {"outcome": "accepted", "resolution": "Pump replaced"}
    assert carol.post(f"{url}/resolve", json=resolution).status_code == 404
    r = helen.post(f"{url}/resolve", json=resolution)
    assert r.status_code == 200, r.json
    assert (r.json["state"], r.json["outcome"], r.json["resolved_by_id"]) == (
        "resolved",
        "accepted",
        helen.id,
    )
    [closed] = outbox_of(sessions, "DocumentClosed")
    assert (closed.data["document_kind"], closed.data["document_id"]) == ("claim", claim["id"])
    [cancel] = outbox_of(sessions, "CancelTimer")
    assert (cancel.queue, cancel.data["key"]) == (SCHEDULER, f"claim:{claim['id']}:deadline")
    assert alice.post(f"{url}/resolve", json=resolution).status_code == 409
    assert alice.patch(url, json={"title": "Still broken"}).status_code == 409


def test_the_deadline_timer_escalates_an_open_claim_once(office, sessions):
    _, alice, _, secretary, customers, orders = office
    body = claim_body(
        customers[0],
        orders[0],
        utcnow() - timedelta(hours=1),
        received_at=(utcnow() - timedelta(days=2)).isoformat(),
    )
    claim = created(secretary, "/api/claims", **body)
    assert claim["overdue"] is True
    fired = {
        "key": f"claim:{claim['id']}:deadline",
        "fire_at": body["deadline"],
        "fired_at": utcnow().isoformat(),
        "payload": {"kind": "claim_deadline", "claim_id": claim["id"]},
    }
    run_command(sessions, "TimerFired", fired)
    run_command(sessions, "TimerFired", fired)
    [overdue] = outbox_of(sessions, "ClaimOverdue")
    assert overdue.data == {
        "claim_id": claim["id"],
        "responsible_id": alice.id,
        "title": "Broken pump",
        "counterparty_name": "Globex LLC",
        "deadline": datetime.fromisoformat(body["deadline"]).isoformat(),
    }
    assert alice.get(f"/api/claims/{claim['id']}").json["escalated_at"] is not None


def test_claims_are_listed_by_deadline_for_the_department_that_handles_them(office):
    helen, alice, carol, secretary, customers, orders = office
    soon = created(
        secretary,
        "/api/claims",
        **claim_body(customers[0], orders[0], utcnow() + timedelta(days=1)),
    )
    late = created(
        secretary,
        "/api/claims",
        **claim_body(
            customers[1],
            orders[1],
            utcnow() - timedelta(hours=1),
            received_at=(utcnow() - timedelta(days=1)).isoformat(),
        ),
    )
    ids = lambda client, **q: [c["id"] for c in client.get("/api/claims", query_string=q).json]  # noqa: E731
    assert ids(helen) == ids(alice) == [late["id"], soon["id"]]
    assert ids(alice, overdue=True) == [late["id"]]
    assert ids(alice, counterparty_id=customers[0]) == [soon["id"]]
    assert ids(carol) == []
    assert carol.get(f"/api/claims/{soon['id']}").status_code == 404


def test_bad_claims_are_refused_naming_the_field(office, as_role):
    _, _, _, secretary, customers, orders = office
    deadline = utcnow() + timedelta(days=1)
    cases = [
        (claim_body(customers[0], orders[1], deadline), "basis_id"),  # another customer's order
        (claim_body(customers[0], orders[0], deadline, basis_kind="invoice"), "basis_kind"),
        ({**claim_body(customers[0], orders[0], deadline), "basis_kind": None}, "basis_id"),
        (claim_body(999999, orders[0], deadline), "counterparty_id"),
        (claim_body(customers[0], orders[0], utcnow() - timedelta(days=1)), "deadline"),
        (claim_body(customers[0], orders[0], deadline, responsible_id=999999), "responsible_id"),
        ({**claim_body(customers[0], orders[0], deadline), "deadline": "tomorrow"}, "deadline"),
        ({**claim_body(customers[0], orders[0], deadline), "title": "x" * 301}, "title"),
        (
            {
                **claim_body(customers[0], orders[0], deadline),
                "deadline": "2101-01-01T00:00:00+00:00",
            },
            "deadline",
        ),
    ]
    for body, field in cases:
        assert field in field_errors(secretary.post("/api/claims", json=body)), field
    executor = as_role("executor", department="Execution")
    assert (
        executor.post("/api/claims", json=claim_body(customers[0], orders[0], deadline)).status_code
        == 403
    )
    claim = created(secretary, "/api/claims", **claim_body(customers[0], orders[0], deadline))
    r = secretary.post(
        f"/api/claims/{claim['id']}/resolve", json={"outcome": "maybe", "resolution": "x"}
    )
    assert "outcome" in field_errors(r)
