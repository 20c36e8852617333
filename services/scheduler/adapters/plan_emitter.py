"""Emitting what plans owe the world: ``CallDue`` when a call is due, ``CallPlanned`` on change.

Batches are claimed, published and marked as every due row is (adapters/due_batches.py).

What due calls send, and why (no ``CallPlanned`` revision follows them, since the notifier
hands the due revision to the CRM with the call's task):

- one ``CallsDue`` to the notifier's queue per chunk of a batch: it gives each call to a
  manager as a task (one message for many calls: shared/batch_messages.py);
- a ``CallDue`` per call to ``crm.events`` as ``call_plan.due``: the integration surface.

A plan's other changes send ``CallPlanned`` to the CRM's queue and to ``crm.events``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Select, exists, select
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.confirmed_sender import ConfirmedSender
from services.scheduler.adapters.due_batches import DueBatches, each
from services.scheduler.adapters.orm import CallPlan
from services.scheduler.domain.plans import DUE, PLANNED
from shared import containment, metrics
from shared.batch_messages import batch_id, call_due_id
from shared.batch_publisher import Outgoing
from shared.contracts import NOTIFIER, envelope
from shared.db import utcnow
from shared.messages import CallDue, CallPlanned, CallsDue
from shared.publisher import derived_id, outgoing, queued, to_exchange

AGGREGATE = "call_plan"


def call_due(row: CallPlan) -> dict[str, Any]:
    """The CallDue envelope of a claimed plan; the same every time it is built.

    ``revision`` is the plan's revision once emitted (the row's next), which the CRM's read
    model stores as the due state when the call's task arrives.
    """
    due = CallDue(
        plan_id=row.id,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        responsible_id=row.responsible_id,
        status_id=row.status_id,
        status_version=row.status_version,
        due_at=row.next_call_at,
        revision=row.revision + 1,
    )
    message_id = call_due_id(row.id, row.status_version, row.next_call_at)
    # Unchecked: the data are the row's typed columns, and checking them against the
    # contract cost a quarter of a due call's emission; the notifier and the CRM check it.
    return envelope(due, message_id=message_id, occurred_at=row.next_call_at, check=False)


def calls_due(envelopes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The CallsDue envelope of the CallDue envelopes of a chunk; the same for the same chunk."""
    due = CallsDue(calls=[env["data"] for env in envelopes])
    message_id = batch_id(due.contract.type, (env["message_id"] for env in envelopes))
    # Unchecked, as its calls are (call_due).
    return envelope(due, message_id=message_id, check=False)


def due_messages(exchange: str, rows: Sequence[CallPlan]) -> list[Outgoing]:
    """What a chunk of due plans sends: each call's event, then one CallsDue for them all."""
    envelopes = [call_due(row) for row in rows]
    events = [to_exchange(exchange, AGGREGATE, env) for env in envelopes]
    return [*events, queued(NOTIFIER, calls_due(envelopes))]


def call_planned(row: CallPlan, revision: int, state: str, at: datetime) -> dict[str, Any]:
    """The CallPlanned envelope of one revision of a plan, for the CRM's read model."""
    plan = CallPlanned(
        plan_id=row.id,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        responsible_id=row.responsible_id,
        status_id=row.status_id,
        next_call_at=row.next_call_at,
        state=state,
        revision=revision,
    )
    message_id = derived_id(plan.contract.type, row.id, revision)
    return envelope(plan, message_id=message_id, occurred_at=at)


class PlanEmitter:
    """Publishes due calls and plan revisions, one batch per transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: ConfirmedSender,
        exchange: str,
        batch_size: int,
    ):
        self.batches = DueBatches(sessions, sender, CallPlan, batch_size)
        self.exchange = exchange
        # Whether the last batch left rows it could not take, so another should follow at once.
        self.more_due = self.more_revisions = False

    def emit_due(self, now: datetime) -> int:
        """Publish CallDue for planned calls due by ``now``; they become ``due``."""
        sent, self.more_due = self.batches.emit(
            (CallPlan.state == PLANNED, CallPlan.next_call_at <= now),
            CallPlan.next_call_at,
            self._publish_due,
            {
                "state": DUE,
                "emitted_at": utcnow(),
                "revision": CallPlan.revision + 1,
                "published_revision": CallPlan.revision + 1,
            },
        )
        return sent

    def publish_revisions(self) -> int:
        """Publish CallPlanned for plans changed since the CRM last heard of them."""
        sent, self.more_revisions = self.batches.emit(
            (CallPlan.published_revision < CallPlan.revision,),
            CallPlan.id,
            each(self._publish_revision),
            {"published_revision": CallPlan.revision},
        )
        return sent

    def _publish_due(self, rows: Sequence[CallPlan]) -> list[Outgoing]:
        # The emitted state is the next revision, published_revision included: the CRM
        # hears of it with the call's task, so no CallPlanned is sent for it.
        for row in rows:
            metrics.observe_lateness("call", row.next_call_at)
        return due_messages(self.exchange, rows)

    def _publish_revision(self, row: CallPlan) -> list[Outgoing]:
        env = call_planned(row, row.revision, row.state, row.updated_at)
        return outgoing(self.exchange, AGGREGATE, env)

    @staticmethod
    def next_due_query() -> Select:
        """When the earliest planned call is due (read from the due index)."""
        return (
            select(CallPlan.next_call_at)
            .where(CallPlan.state == PLANNED, containment.not_quarantined(CallPlan))
            .order_by(CallPlan.next_call_at)
            .limit(1)
        )

    @staticmethod
    def unpublished_query() -> Exists:
        """Whether some plan has a revision the CRM has not been told about."""
        return exists().where(
            CallPlan.published_revision < CallPlan.revision, containment.not_quarantined(CallPlan)
        )
