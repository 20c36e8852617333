"""Claims work with every service running as its own OS process: the responsible is reminded
before the deadline, the head is told once it has passed; a resolved claim stays quiet."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from shared.db import utcnow
from tests import factories
from tests.e2e.conftest import ALL
from tests.e2e.test_sales_process import DELIVERY_TIMEOUT, Api
from tests.helpers import eventually

REMIND_BEFORE = 4  # seconds before the deadline
DEADLINE_IN = 10  # seconds from now


@pytest.fixture()
def office(system, sessions):
    system.env["CLAIM_REMIND_BEFORE_SECONDS"] = str(REMIND_BEFORE)
    system.start(*ALL)

    def as_role(role, **fields):
        return Api(system.url, factories.employee(sessions, role, **fields))

    return (
        as_role("admin"),
        as_role("manager", department="Sales"),
        as_role("head_of_sales", department="Sales"),
    )


def inbox_text(client: Api, *parts: str) -> str | None:
    """The first note in the client's in-app inbox that mentions every part."""
    notes = client("GET", "/api/inbox")
    return next((n["text"] for n in notes if all(p in n["text"] for p in parts)), None)


def test_a_claim_reminds_its_responsible_and_escalates_to_the_head_when_overdue(office):
    admin, manager, head = office
    partner = admin("POST", "/api/partners", 201, json={"name": "Globex"})
    customer = admin(
        "POST",
        "/api/counterparties",
        201,
        json={
            "name": "Globex LLC",
            "partner_id": partner["id"],
            "kind": "legal_entity",
            "responsible_id": manager.id,
        },
    )

    def claim(title: str) -> dict:
        deadline = utcnow() + timedelta(seconds=DEADLINE_IN)
        body = {"counterparty_id": customer["id"], "title": title, "deadline": deadline.isoformat()}
        return manager("POST", "/api/claims", 201, json=body)

    open_claim, settled = claim("Broken pump"), claim("Late delivery")
    manager(
        "POST",
        f"/api/claims/{settled['id']}/resolve",
        json={"outcome": "accepted", "resolution": "Delivered with a discount"},
    )

    reminder = eventually(
        lambda: inbox_text(manager, "Broken pump", "Globex LLC"),
        timeout=DELIVERY_TIMEOUT,
        interval=0.3,
    )
    assert f"No. {open_claim['id']}" in reminder
    escalation = eventually(
        lambda: inbox_text(head, "Broken pump"), timeout=DELIVERY_TIMEOUT, interval=0.3
    )
    assert f"No. {open_claim['id']}" in escalation and "not resolved" in escalation
    assert manager("GET", f"/api/claims/{open_claim['id']}")["escalated_at"] is not None

    time.sleep(2)  # the settled claim's moments have passed too: nothing came of them
    assert inbox_text(manager, "Late delivery") is None
    assert inbox_text(head, "Late delivery") is None
    assert manager("GET", f"/api/claims/{settled['id']}")["escalated_at"] is None
