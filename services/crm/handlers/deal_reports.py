"""Deals in the analytics (services/crm/analytics/__init__.py names the plug-in points): the
competitors of the lost analysis by name, and a deals section in each counterparty's dossier."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import Deal, DealParty, DealStage
from services.crm.adapters.orm import Counterparty, Partner
from services.crm.analytics.handlers import dossier, lost
from services.crm.domain import deals as rules
from services.crm.domain.access import may_read_deal
from services.crm.domain.roles import Actor
from services.crm.handlers.cards import owner_of

LATEST = 10


def competitor_names(session: Session, ids: list[Any]) -> dict[Any, str]:
    return dict(session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all())


def deals_section(session: Session, actor: Actor, cp: Counterparty) -> dict[str, Any]:
    """The counterparty's deals (its own, or as a party) the reader may read: counts by state,
    the amount won, the latest ones."""
    as_party = select(DealParty.deal_id).where(
        DealParty.party_kind == "counterparty", DealParty.party_id == cp.id
    )
    found = session.scalars(
        select(Deal)
        .where(or_(Deal.counterparty_id == cp.id, Deal.id.in_(as_party)))
        .order_by(Deal.id.desc())
    ).all()
    readable = [d for d in found if may_read_deal(actor, owner_of(session, d.responsible_id))]
    counts = {state: sum(d.state == state for d in readable) for state in rules.STATES}
    stages = dict(
        session.execute(
            select(DealStage.id, DealStage.code).where(
                DealStage.id.in_({d.stage_id for d in readable[:LATEST] if d.stage_id})
            )
        ).all()
    )
    return {
        **counts,
        "won_amount": sum((d.amount for d in readable if d.state == rules.WON), Decimal(0)),
        "latest": [
            {
                "id": d.id,
                "name": d.name,
                "state": d.state,
                "stage_code": stages.get(d.stage_id),
                "amount": d.amount,
                "currency": d.currency,
            }
            for d in readable[:LATEST]
        ],
    }


lost.register_names("competitor", competitor_names)
dossier.register_section("deals", deals_section)
