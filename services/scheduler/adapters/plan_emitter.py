"""Emitting what plans owe the world: ``CallDue`` when a call is due, ``CallPlanned`` on change.

Each batch is one transaction: claim rows with ``FOR UPDATE SKIP LOCKED`` (so instances
side by side share the rows and never take the same one), publish with publisher
confirms, mark, commit. A crash before the commit leaves the rows as they were; the next
claim publishes them again under the same deterministic message ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dramatiq
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.orm import CallPlan
from services.scheduler.domain.plans import DUE, PLANNED
from shared.contracts import envelope
from shared.db import utcnow
from shared.publisher import derived_id, publish

AGGREGATE = "call_plan"


def call_due(row: CallPlan) -> dict[str, Any]:
    """The CallDue envelope of a claimed plan; the same every time it is built."""
    data = {
        "plan_id": row.id,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "responsible_id": row.responsible_id,
        "status_id": row.status_id,
        "status_version": row.status_version,
        "due_at": row.next_call_at.isoformat(),
    }
    message_id = derived_id("CallDue", row.id, row.status_version, row.next_call_at.isoformat())
    return envelope("CallDue", data, message_id=message_id, occurred_at=row.next_call_at)


def call_planned(row: CallPlan, revision: int, state: str, at: datetime) -> dict[str, Any]:
    """The CallPlanned envelope of one revision of a plan, for the CRM's read model."""
    data = {
        "plan_id": row.id,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "responsible_id": row.responsible_id,
        "status_id": row.status_id,
        "next_call_at": row.next_call_at.isoformat() if row.next_call_at else None,
        "state": state,
        "revision": revision,
    }
    message_id = derived_id("CallPlanned", row.id, revision)
    return envelope("CallPlanned", data, message_id=message_id, occurred_at=at)


class PlanEmitter:
    """Publishes due calls and plan revisions, one batch per transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        broker: dramatiq.Broker,
        exchange: str,
        batch_size: int,
    ):
        self.sessions = sessions
        self.broker = broker
        self.exchange = exchange
        self.batch_size = batch_size

    def emit_due(self, now: datetime) -> int:
        """Publish CallDue for planned calls due by ``now``; they become ``due``."""
        with self.sessions() as session, session.begin():
            rows = list(
                session.scalars(
                    select(CallPlan)
                    .where(CallPlan.state == PLANNED, CallPlan.next_call_at <= now)
                    .order_by(CallPlan.next_call_at)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                publish(self.broker, self.exchange, AGGREGATE, call_due(row))
                # The emitted state is the next revision; telling the CRM now spares a batch.
                env = call_planned(row, row.revision + 1, DUE, row.next_call_at)
                publish(self.broker, self.exchange, AGGREGATE, env)
            if rows:
                session.execute(
                    update(CallPlan)
                    .where(CallPlan.id.in_([r.id for r in rows]))
                    .values(
                        state=DUE,
                        emitted_at=utcnow(),
                        revision=CallPlan.revision + 1,
                        published_revision=CallPlan.revision + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
        return len(rows)

    def publish_revisions(self) -> int:
        """Publish CallPlanned for plans changed since the CRM last heard of them."""
        with self.sessions() as session, session.begin():
            rows = list(
                session.scalars(
                    select(CallPlan)
                    .where(CallPlan.published_revision < CallPlan.revision)
                    .order_by(CallPlan.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                env = call_planned(row, row.revision, row.state, row.updated_at)
                publish(self.broker, self.exchange, AGGREGATE, env)
            if rows:
                session.execute(
                    update(CallPlan)
                    .where(CallPlan.id.in_([r.id for r in rows]))
                    .values(published_revision=CallPlan.revision)
                    .execution_options(synchronize_session=False)
                )
        return len(rows)

    def next_due(self, session: Session) -> datetime | None:
        """When the earliest planned call is due (read from the due index)."""
        return session.scalar(
            select(CallPlan.next_call_at)
            .where(CallPlan.state == PLANNED)
            .order_by(CallPlan.next_call_at)
            .limit(1)
        )

    def has_unpublished(self, session: Session) -> bool:
        stmt = select(CallPlan.id).where(CallPlan.published_revision < CallPlan.revision).limit(1)
        return session.scalar(stmt) is not None
