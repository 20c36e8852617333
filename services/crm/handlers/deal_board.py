"""What the deal pages show: a kind's board (stages as columns, deals as cards with the moves
the kind allows) and a deal's card (names of its customer, people and stages), read with the
same rules as the API (services/crm/handlers/deals.py) so the pages add none of their own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealKind
from services.crm.adapters.orm import Counterparty, Employee, Partner, RefusalReason
from services.crm.domain import deals as rules
from services.crm.domain.access import may_change
from services.crm.domain.roles import Actor
from services.crm.handlers import deal_kinds, deals
from services.crm.handlers.cards import owner_of
from services.crm.handlers.common import get
from shared.db import utcnow

# A board holds a kind's deals on one page; a department with more filters by manager.
BOARD_SIZE = 500


def names(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def moves(session: Session, actor: Actor, deal: Deal, rule: rules.KindRule) -> list[str]:
    """The moves a reader may make by hand now: none on a closed, posted-process or foreign deal."""
    if deal.state != rules.IN_PROGRESS or deal.stage_id is None or rule.mode != rules.MANUAL:
        return []
    if not may_change(actor, owner_of(session, deal.responsible_id)):
        return []
    return rules.allowed_moves(rule, deal.stage_id)


def board(
    session: Session,
    actor: Actor,
    kind_id: int,
    *,
    state: str | None = rules.IN_PROGRESS,
    responsible_id: int | None = None,
) -> dict[str, Any]:
    """The kind's stages, each with the deals standing in it; closed deals in their own list."""
    kind = deal_kinds.load_kind(session, actor, kind_id)
    rule = deal_kinds.rule_of(session, get(session, DealKind, kind_id, "deal kind"))
    found, total = deals.list_deals(
        session,
        actor,
        page=1,
        page_size=BOARD_SIZE,
        kind_id=kind_id,
        state=state,
        responsible_id=responsible_id,
    )
    customers = names(session, Partner, (d.customer_id for d in found))
    people = names(session, Employee, (d.responsible_id for d in found))
    now = utcnow()
    cards: list[dict[str, Any]] = [
        {
            "deal": d,
            "customer": customers.get(d.customer_id),
            "responsible": people.get(d.responsible_id),
            "days_in_stage": (now - d.stage_entered_at).days if d.stage_entered_at else None,
            "moves": moves(session, actor, d, rule),
        }
        for d in found
    ]
    standing = [c for c in cards if c["deal"].state == rules.IN_PROGRESS]
    columns = [
        {"stage": stage, "cards": [c for c in standing if c["deal"].stage_id == stage["id"]]}
        for stage in kind["stages"]
    ]
    return {
        "kind": kind,
        "columns": columns,
        "closed": [c for c in cards if c["deal"].state != rules.IN_PROGRESS],
        "waiting": [
            c for c in cards if c["deal"].stage_id is None and c["deal"].state == rules.IN_PROGRESS
        ],
        "total": total,
        "cut": total > len(found),
    }


def card(session: Session, actor: Actor, deal_id: int) -> dict[str, Any]:
    """A deal as its card shows it: the API's view of it plus the names behind its ids."""
    deal = deals.load(session, actor, deal_id)
    kind = deal_kinds.load_kind(session, actor, deal.kind_id)
    rule = deal_kinds.rule_of(session, get(session, DealKind, deal.kind_id, "deal kind"))
    shown = deals.shown(session, deal)
    stage = next((s for s in kind["stages"] if s["id"] == deal.stage_id), None)
    parties = shown["parties"]
    return {
        "deal": shown,
        "kind": kind,
        "stage": stage,
        "customer": session.get(Partner, deal.customer_id) if deal.customer_id else None,
        "responsible": session.get(Employee, deal.responsible_id),
        "counterparties": names(
            session,
            Counterparty,
            [deal.counterparty_id]
            + [p.party_id for p in parties if p.party_kind == "counterparty"],
        ),
        "lost_reason": session.get(RefusalReason, deal.lost_reason_id)
        if deal.lost_reason_id
        else None,
        "moves": moves(session, actor, deal, rule),
        "may_change": deal.state == rules.IN_PROGRESS
        and may_change(actor, owner_of(session, deal.responsible_id)),
        "instructions": kind["instructions"] + (stage["instructions"] if stage else []),
        "days_in_stage": (utcnow() - deal.stage_entered_at).days if deal.stage_entered_at else None,
    }


def competitors(session: Session) -> list[Partner]:
    """Partners kept as competitors: whom a lost deal may name as the winner."""
    return list(
        session.scalars(
            select(Partner).where(Partner.partner_type == "competitor").order_by(Partner.name)
        )
    )
