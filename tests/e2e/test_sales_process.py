"""The inbound sales process with every service running as its own OS process:
registration -> first contact -> proposal (approved) -> meeting -> order (approved) -> executor,
with each automatic document and each reminder delivered to the right inbox."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from services.crm.analytics.adapters.tables import CustomerSpanChange
from services.crm.analytics.handlers import spans
from shared.db import transaction, utcnow
from tests import factories
from tests.e2e.conftest import ALL
from tests.helpers import eventually

# The process, order and task events it publishes are checked against the AsyncAPI document.
pytestmark = pytest.mark.usefixtures("documented_events")

CONTACT = {"presentation": "Hank Scorpio", "phone": "+1 555 0101"}
DELIVERY_TIMEOUT = 60  # seconds: timers, the notifier and the CRM worker on a shared machine


class Api:
    """The CRM API over HTTP, as one employee."""

    def __init__(self, url: str, employee: tuple[int, str]):
        self.id = employee[0]
        self.url, self.headers = url, {"Authorization": f"Bearer {employee[1]}"}

    def __call__(self, method: str, path: str, expect: int = 200, **kwargs):
        r = requests.request(method, self.url + path, headers=self.headers, timeout=15, **kwargs)
        assert r.status_code == expect, (method, path, r.status_code, r.text)
        return r.json() if r.content else None


def take(manager: Api, process_id: int, step: str, **fields) -> int:
    """Take the next step of the process; the id of the document it made."""
    body = {"step": step, **fields}
    return manager("POST", f"/api/processes/{process_id}/steps", 201, json=body)["document"]["id"]


def reminder_delivered(client: Api, basis_kind: str, basis_id: int) -> dict:
    """Wait until the reminder based on the document reaches the client's in-app inbox."""

    def probe():
        mine = client("GET", "/api/reminders")
        ids = {r["id"] for r in mine if (r["basis_kind"], r["basis_id"]) == (basis_kind, basis_id)}
        notes = client("GET", "/api/inbox")
        return next((n for n in notes if n["reminder_id"] in ids), None)

    return eventually(probe, timeout=DELIVERY_TIMEOUT, interval=0.3)


@pytest.fixture()
def people(system, sessions):
    system.env["REMINDER_DELAY_SECONDS"] = "1"
    system.start(*ALL)

    def as_role(role, **fields):
        return Api(system.url, factories.employee(sessions, role, **fields))

    return {
        "admin": as_role("admin"),
        "secretary": as_role("secretary"),
        "manager": as_role("manager", department="Sales"),
        "head": as_role("head_of_sales", department="Sales"),
        "executor": as_role("executor", department="Execution"),
        "head_of_execution": as_role("head_of_execution", department="Execution"),
    }


def test_inbound_request_walks_to_an_approved_order_at_its_executor(people, sessions):
    with transaction(sessions) as session:  # as the routine keeps them within minutes
        spans.shift(session, utcnow().date())
    admin, secretary, manager = people["admin"], people["secretary"], people["manager"]
    head, executor = people["head"], people["executor"]
    partner = admin("POST", "/api/partners", 201, json={"name": "Globex"})
    client = admin(
        "POST",
        "/api/counterparties",
        201,
        json={"name": "Globex LLC", "partner_id": partner["id"], "kind": "legal_entity"},
    )
    contract = admin(
        "POST", "/api/contracts", 201, json={"number": "C-7", "counterparty_id": client["id"]}
    )
    item = admin(
        "POST",
        "/api/items",
        201,
        json={"name": "Installation", "department": "Execution", "responsible_id": executor.id},
    )

    # 1. The secretary registers the call and names the manager it was transferred to.
    process = secretary(
        "POST",
        "/api/processes",
        201,
        json={
            "contacts": [CONTACT],
            "content": "Wants an installation",
            "transferred_to_id": manager.id,
        },
    )
    pid, registration = process["id"], process["current_document"]["id"]
    secretary("POST", f"/api/documents/{registration}/complete", json={})

    # 2. The system makes the first contact for that manager and reminds them.
    view = manager("GET", f"/api/processes/{pid}")
    assert view["current_step"] == "first_contact"
    first = manager("GET", f"/api/documents/{view['current_document']['id']}")
    assert (first["topic"], first["responsible_id"]) == (
        "first contact with the client",
        manager.id,
    )
    assert first["contacts"] == [CONTACT] and first["kind"] == "call"
    reminder_delivered(manager, "interaction", first["id"])
    manager("POST", f"/api/documents/{first['id']}/start")
    manager(
        "PATCH",
        f"/api/documents/{first['id']}",
        json={"subject_kind": "counterparty", "subject_id": client["id"]},
    )
    manager("POST", f"/api/documents/{first['id']}/complete", json={})

    # 3. A commercial proposal that needs the head's approval.
    proposal = take(
        manager,
        pid,
        "proposal",
        content="Installation, 2 days",
        attachments=[{"name": "offer.pdf", "url": "https://files.example/offer.pdf"}],
        needs_approval=True,
    )
    approval = take(manager, pid, "proposal_approval", approver_id=head.id)
    [task] = head("GET", "/api/tasks", params={"kind": "approval", "state": "open"})
    assert task["title"] == "Approval of the commercial proposal"
    reminder_delivered(head, "interaction", approval)
    head("POST", f"/api/documents/{approval}/complete", json={"outcome": "approved"})
    assert head("GET", f"/api/tasks/{task['id']}")["state"] == "done"
    manager("POST", f"/api/documents/{proposal}/complete", json={})

    # 4. A meeting, whose start and end the manager sets.
    meeting = take(
        manager,
        pid,
        "meeting",
        content="Agreed on the scope",
        started_at="2030-01-10T10:00:00+00:00",
        ended_at="2030-01-10T11:00:00+00:00",
    )
    manager("POST", f"/api/documents/{meeting}/complete", json={})

    # 5. An order that requires approval, for a named executor.
    order = take(
        manager,
        pid,
        "order",
        contract_id=contract["id"],
        shipping_date="2030-02-01",
        lines=[{"item_id": item["id"], "quantity": 1, "price": "1200.00"}],
        responsible_id=executor.id,
        source="incoming call",
        requires_approval=True,
    )
    assert manager("POST", f"/api/orders/{order}/post")["status"] == "open"
    [event] = manager("GET", "/api/documents", params={"process_id": pid, "step": "order_approval"})
    assert event["topic"] == "Approve the order"
    assert (event["subject_kind"], event["subject_id"], event["contacts"]) == (
        "counterparty",
        client["id"],
        [CONTACT],
    )
    manager("PATCH", f"/api/documents/{event['id']}", json={"approver_id": head.id})
    reminder_delivered(head, "interaction", event["id"])
    head("POST", f"/api/documents/{event['id']}/complete", json={"outcome": "approved"})
    assert manager("GET", f"/api/orders/{order}")["status"] == "approved"

    # The order reaches the executor and the head of execution; the process closes.
    assert [o["id"] for o in executor("GET", "/api/orders/new")] == [order]
    assert [o["id"] for o in people["head_of_execution"]("GET", "/api/orders/new")] == [order]
    reminder_delivered(executor, "order", order)
    view = manager("GET", f"/api/processes/{pid}")
    assert (view["state"], view["current_step"]) == ("completed", "execution")
    assert [step["step"] for step in view["steps"]] == [
        "registration",
        "first_contact",
        "proposal",
        "proposal_approval",
        "meeting",
        "order",
        "order_approval",
        "execution",
    ]

    # The whole company's ABC/XYZ shows the order, read from the buyers' ranks once the loop
    # beside the relay has ranked the order's buyer.
    eventually(lambda: not pending_orders(sessions), timeout=DELIVERY_TIMEOUT, interval=0.3)
    abc = admin("GET", "/api/analytics/abc-xyz")
    assert (abc["customers"], abc["revenue"]) == (1, "1200.00")
    assert [(r["counterparty_id"], r["abc"]) for r in abc["rows"]] == [(client["id"], "A")]


def pending_orders(sessions) -> int:
    """Orders that moved the buyers' spans and are not yet in their ranks."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(CustomerSpanChange))
