"""Buyers by stage of relationship (rules in domain/relationship.py), read in batches.

The classification of buyers (services/crm/analytics/handlers/classification.py) walks
them to set their stages and statuses; memory stays bounded whatever the table size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, literal, null, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from services.crm.adapters.orm import Counterparty, InteractionStatus, Lead, StatusAssignment
from services.crm.analytics.adapters.tables import Customer
from services.crm.domain.relationship import BuyerFacts, Stage, stage_of

# Rows read and written per round trip.
BATCH = 1000


@dataclass(frozen=True)
class Buyer:
    kind: str
    id: int
    stage: Stage | None
    status_id: int | None
    archived: bool
    converted: bool


def _first_status_at(
    kind: str, subject_id: ColumnElement[int] | InstrumentedAttribute[int | None]
) -> ColumnElement[Any]:
    """Oldest assignment of one subject; the (kind, id, id) index answers it per row."""
    return (
        select(func.min(StatusAssignment.assigned_at))
        .where(StatusAssignment.subject_kind == kind, StatusAssignment.subject_id == subject_id)
        .scalar_subquery()
    )


def _sources() -> dict[str, tuple[Any, ColumnElement, ColumnElement]]:
    """Per kind: the model, whether a row is a converted lead, and its first status time."""
    return {
        # Leads are prospects or dormant whatever their history: it is not read for them.
        "lead": (Lead, Lead.counterparty_id.is_not(None), null()),
        # A converted lead's history counts as the counterparty's own (LEAST skips NULLs).
        "counterparty": (
            Counterparty,
            false(),
            func.least(
                _first_status_at("counterparty", Counterparty.id),
                _first_status_at("lead", Counterparty.lead_id),
            ),
        ),
    }


def buyers(session: Session, kind: str, now: datetime) -> Iterator[list[Buyer]]:
    """Every lead or counterparty, a batch at a time, each stored with its stage of ``now``."""
    model, converted, first_status_at = _sources()[kind]
    bought = kind == "counterparty"
    stmt = (
        select(
            model.id,
            model.relationship_stage,
            model.status_id,
            model.archived,
            converted,
            model.created_at,
            InteractionStatus.generate_calls,
            first_status_at,
            func.coalesce(Customer.orders, 0) if bought else literal(0),
            Customer.last_order_at if bought else null(),
        )
        .outerjoin(InteractionStatus, InteractionStatus.id == model.status_id)
        .order_by(model.id)
        .limit(BATCH)
    )
    if bought:
        stmt = stmt.outerjoin(Customer, Customer.counterparty_id == model.id)
    last_id = 0
    while rows := session.execute(stmt.where(model.id > last_id)).all():
        batch, changes = [], []
        for (
            id_,
            recorded,
            status_id,
            archived,
            is_converted,
            created,
            generates,
            first,
            *sold,
        ) in rows:
            facts = BuyerFacts(kind, archived, is_converted, created, generates, first, *sold)
            stage = stage_of(facts, now)
            if (stage.value if stage else None) != recorded:
                changes.append({"id": id_, "relationship_stage": stage.value if stage else None})
            batch.append(Buyer(kind, id_, stage, status_id, archived, is_converted))
        if changes:
            session.execute(update(model), changes)  # bulk UPDATE by primary key
        last_id = rows[-1].id
        yield batch
