"""The people, client and reference data of the inbound sales process, made through the API,
and short-hands for walking an instance to a given step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.crm.support import created

CONTACT = {"presentation": "Hank Scorpio", "phone": "+1 555 0101", "email": "hank@globex.example"}
PDF = {"name": "proposal.pdf", "url": "https://files.example/proposal.pdf"}


@dataclass
class World:
    admin: Any
    secretary: Any
    manager: Any
    approver: Any
    executor: Any
    head_of_execution: Any
    counterparty: dict
    contract: dict
    item: dict
    reason: dict

    def register(self, **fields) -> dict:
        """The secretary registers an incoming call (complete unless fields say otherwise)."""
        body = {"contacts": [CONTACT], "transferred_to_id": self.manager.id, **fields}
        r = self.secretary.post("/api/processes", json=body)
        assert r.status_code == 201, r.json
        return r.json

    def view(self, process_id: int) -> dict:
        r = self.manager.get(f"/api/processes/{process_id}")
        assert r.status_code == 200, r.json
        return r.json

    def step(self, process_id: int, step: str, client=None, **fields):
        return (client or self.manager).post(
            f"/api/processes/{process_id}/steps", json={"step": step, **fields}
        )

    def took(self, process_id: int, step: str, client=None, **fields) -> dict:
        """Take a step that must succeed; the document it made."""
        r = self.step(process_id, step, client, **fields)
        assert r.status_code == 201, r.json
        return r.json["document"]

    def complete(self, document_id: int, client=None, **body):
        return (client or self.manager).post(f"/api/documents/{document_id}/complete", json=body)

    def completed(self, document_id: int, client=None, **body) -> dict:
        r = self.complete(document_id, client, **body)
        assert r.status_code == 200, r.json
        return r.json

    def current(self, process_id: int) -> int:
        return self.view(process_id)["current_document"]["id"]

    def at_first_contact(self, *, completed: bool = False) -> int:
        """An instance whose registration is done; its first contact names the client."""
        process = self.register()
        self.completed(process["current_document"]["id"], self.secretary)
        first = self.current(process["id"])
        r = self.manager.patch(
            f"/api/documents/{first}",
            json={"subject_kind": "counterparty", "subject_id": self.counterparty["id"]},
        )
        assert r.status_code == 200, r.json
        if completed:
            self.completed(first)
        return process["id"]

    def at_proposal(self, *, completed: bool = False, **fields) -> tuple[int, int]:
        pid = self.at_first_contact(completed=True)
        body = {"content": "Our offer", "attachments": [PDF], **fields}
        proposal = self.took(pid, "proposal", **body)["id"]
        if completed:
            self.completed(proposal)
        return pid, proposal

    def at_meeting(self, *, completed: bool = False) -> tuple[int, int]:
        pid, _ = self.at_proposal(completed=True)
        meeting = self.took(pid, "meeting", content="Talked it over")["id"]
        if completed:
            self.completed(meeting)
        return pid, meeting

    def order_fields(self, **overrides) -> dict:
        return {
            "contract_id": self.contract["id"],
            "shipping_date": "2030-03-01",
            "lines": [{"item_id": self.item["id"], "quantity": 2, "price": "150.00"}],
            "responsible_id": self.executor.id,
            "source": "incoming call",
            "requires_approval": False,
            **overrides,
        }

    def at_order(self, **overrides) -> tuple[int, int]:
        """A draft order (from a completed first contact), filled in unless overridden."""
        pid = self.at_first_contact(completed=True)
        return pid, self.took(pid, "order", **self.order_fields(**overrides))["id"]


@pytest.fixture(name="world")
def world_fixture(as_role, admin) -> World:
    head = as_role("head_of_sales", department="Sales")
    executor = as_role("executor", department="Execution")
    head_of_execution = as_role("head_of_execution", department="Execution")
    partner = created(admin, "/api/partners", name="Globex")
    counterparty = created(
        admin,
        "/api/counterparties",
        name="Globex LLC",
        partner_id=partner["id"],
        kind="legal_entity",
    )
    return World(
        admin=admin,
        secretary=as_role("secretary"),
        manager=as_role("manager", department="Sales"),
        approver=head,
        executor=executor,
        head_of_execution=head_of_execution,
        counterparty=counterparty,
        contract=created(admin, "/api/contracts", number="C-1", counterparty_id=counterparty["id"]),
        item=created(
            admin,
            "/api/items",
            name="Installation",
            department="Execution",
            responsible_id=executor.id,
        ),
        reason=created(admin, "/api/refusal-reasons", name="Too expensive"),
    )
