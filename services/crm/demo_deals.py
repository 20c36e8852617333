"""Demo deals for `make run`: two kinds (one in each mode) and a dozen deals over their stages,
won and lost, with the interactions that moved them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, Employee, RefusalReason
from services.crm.adapters.work import Task
from services.crm.domain.roles import Actor, Role
from services.crm.domain.tasks import Completion
from services.crm.handlers import deal_kinds, deal_moves, interaction_docs, outcomes
from shared.config import Settings

STANDARD: dict[str, Any] = {
    "name": "Standard sale",
    "mode": "manual",
    "description": "A sale by the manager's own hand, stage by stage.",
    "stages": [
        {"code": "qualification", "name": "Qualification", "duration_days": 3, "probability": 10},
        {
            "code": "proposal",
            "name": "Commercial proposal",
            "duration_days": 5,
            "probability": 40,
            "deliverable": "proposal sent",
            "required": ["amount", "expected_close_date"],
        },
        {"code": "negotiation", "name": "Negotiation", "duration_days": 7, "probability": 70},
    ],
}
TENDER: dict[str, Any] = {
    "name": "Tender",
    "mode": "process",
    "description": "A tender run as a business process: each stage is its performer's task.",
    "stages": [
        {"code": "documents", "name": "Tender documents", "duration_days": 2, "probability": 20},
        {
            "code": "approval",
            "name": "Price approval",
            "performer": "head",
            "duration_days": 1,
            "probability": 50,
            "deliverable": "approved price",
        },
        {"code": "bid", "name": "Bid submitted", "duration_days": 10, "probability": 60},
    ],
}
# (name, kind, manager e-mail, moves by hand or stage tasks completed, closing)
DEALS: tuple[tuple[str, dict[str, Any], str, list[str], str | None], ...] = (
    ("Contoso: pumps for the new plant", STANDARD, "maria", [], None),
    ("Contoso: spare parts", STANDARD, "maria", ["proposal"], None),
    ("Contoso: maintenance 2027", STANDARD, "maria", ["proposal", "negotiation"], None),
    ("Contoso: filters", STANDARD, "maria", ["proposal", "negotiation", "won"], None),
    ("Fabrikam: conveyor", STANDARD, "mark", ["proposal"], "lost"),
    ("Fabrikam: automation", STANDARD, "mark", [], None),
    ("Fabrikam: warehouse racks", STANDARD, "mark", ["proposal", "negotiation"], None),
    ("Jane Doe: home heating", STANDARD, "maria", [], "cancelled"),
    ("Contoso: city tender", TENDER, "maria", ["done"], None),
    ("Fabrikam: state tender", TENDER, "mark", [], None),
    ("Contoso: hospital tender", TENDER, "maria", ["done", "done", "done"], None),
    ("Fabrikam: school tender", TENDER, "mark", ["lost"], None),
)


def load(session: Session, admin: Actor, people: dict[str, Employee], settings: Settings) -> None:
    kinds = {
        k["name"]: deal_kinds.create_kind(
            session, admin, {**k, "stages": [dict(s) for s in k["stages"]]}
        )
        for k in (STANDARD, TENDER)
    }
    reason = session.scalar(select(RefusalReason).order_by(RefusalReason.id)) or RefusalReason(
        name="Price too high"
    )
    session.add(reason)
    session.flush()
    for name, kind, who, steps, closing in DEALS:
        manager = people[f"{who}@demo.example"]
        actor = Actor(manager.id, Role(manager.role), manager.department)
        customer = session.scalars(
            select(Counterparty).where(Counterparty.responsible_id == manager.id)
        ).first()
        participants = [{"kind": "counterparty", "id": customer.id}]
        call = interaction_docs.record(
            session,
            actor,
            {
                "kind": "call",
                "direction": "incoming",
                "subject": f"Enquiry: {name}",
                "participants": participants,
            },
        )
        deal = interaction_docs.open_deal(
            session,
            actor,
            call.id,
            {
                "name": name,
                "kind_id": kinds[kind["name"]].id,
                "amount": Decimal("12500.00"),
                "expected_close_date": date(2027, 3, 31),
            },
        )
        interaction_docs.record(
            session,
            actor,
            {
                "kind": "meeting",
                "direction": "outgoing",
                "subject": "Needs and budget",
                "details": "Met the buyer.",
                "participants": participants,
                "deal_id": deal.id,
            },
        )
        if kind is TENDER:
            deal_moves.start(session, actor, deal.id, deal_moves.StallPolicy())
            for outcome in steps:
                _complete_stage_task(session, deal.id, outcome, reason.id, settings)
            continue
        for target in steps:
            deal_moves.move(session, actor, deal.id, {"to": target}, deal_moves.StallPolicy())
        if closing:
            fields = {"to": closing, "lost_reason_id": reason.id}
            deal_moves.move(session, actor, deal.id, fields, deal_moves.StallPolicy())


def _complete_stage_task(
    session: Session, deal_id: int, outcome: str, reason_id: int, settings: Settings
) -> None:
    """The open stage task's performer completes it, as they would in "My tasks"."""
    task = session.scalar(select(Task).where(Task.deal_id == deal_id, Task.state == "open"))
    performer = session.get(Employee, task.assignee_id)
    outcomes.complete_task(
        session,
        Actor(performer.id, Role(performer.role), performer.department),
        task.id,
        Completion(
            outcome, "done as planned", refusal_reason_id=reason_id if outcome == "lost" else None
        ),
        settings=settings,
    )
