"""Interactions logged (by the telephone exchange, the sales mailbox, a manager), announced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.crm.adapters import outbox
from services.crm.adapters.work import Interaction
from shared.messages import InteractionRecorded


def recorded(session: Session, doc: Interaction, occurred_at: datetime) -> None:
    """Publish ``InteractionRecorded`` for a call, e-mail, meeting or other interaction just logged."""
    outbox.record(
        session,
        "interaction",
        doc.id,
        InteractionRecorded(
            interaction_id=doc.id,
            kind=doc.kind,
            direction=doc.direction,
            subject_kind=doc.subject_kind,
            subject_id=doc.subject_id,
            responsible_id=doc.responsible_id,
            process_id=doc.process_id,
            task_id=doc.task_id,
            occurred_at=occurred_at,
            deal_id=doc.deal_id,
        ),
    )
