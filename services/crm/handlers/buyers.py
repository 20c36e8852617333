"""Re-classification of buyers by stage of relationship (rules in domain/relationship.py)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, null, select, update
from sqlalchemy.orm import Session

from services.crm.adapters.orm import Counterparty, InteractionStatus, Lead, StatusAssignment
from services.crm.domain.relationship import BuyerFacts, stage_of
from shared.db import utcnow

log = logging.getLogger(__name__)

# Rows read and written per round trip: memory stays bounded whatever the table size.
BATCH = 1000


def _first_status_at(kind: str, subject_id: ColumnElement) -> ColumnElement:
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


def reclassify(session: Session, kind: str, now: datetime) -> Counter[str]:
    """Recompute every lead's or counterparty's stage; write only those that changed."""
    model, converted, first_status_at = _sources()[kind]
    stmt = (
        select(
            model.id,
            model.relationship_stage,
            model.archived,
            converted,
            model.created_at,
            InteractionStatus.generate_calls,
            first_status_at,
        )
        .outerjoin(InteractionStatus, InteractionStatus.id == model.status_id)
        .order_by(model.id)
        .limit(BATCH)
    )
    counts: Counter[str] = Counter()
    last_id = 0
    while rows := session.execute(stmt.where(model.id > last_id)).all():
        changes = []
        for id_, current, archived, is_converted, created_at, generates, first_at in rows:
            stage = stage_of(
                BuyerFacts(kind, archived, is_converted, created_at, generates, first_at), now
            )
            value = stage.value if stage else None
            counts[value or "none"] += 1
            if value != current:
                changes.append({"id": id_, "relationship_stage": value})
        if changes:
            session.execute(update(model), changes)  # bulk UPDATE by primary key
            counts["changed"] += len(changes)
        last_id = rows[-1].id
    return counts


def reclassify_buyers(session: Session, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """The reclassify_buyers routine: every lead and counterparty; returns counts per stage."""
    now = now or utcnow()
    summary = {kind: dict(reclassify(session, kind, now)) for kind in ("lead", "counterparty")}
    # No service consumes a summary event yet, so the counts go to the log only.
    log.info("buyers reclassified", extra=summary)
    return summary
