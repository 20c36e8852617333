"""Emitting what plans owe the world: ``CallDue`` when a call is due, ``CallPlanned`` on change.

Each batch is one transaction: claim rows with ``FOR UPDATE SKIP LOCKED`` (so instances
side by side share the rows and never take the same one), publish with publisher
confirms, mark, commit. A crash before the commit leaves the rows as they were; the next
claim publishes them again under the same deterministic message ids.

What each due call sends, and why (two messages; no ``CallPlanned`` revision follows it,
since the notifier hands the due revision to the CRM with the call's task):

- ``CallDue`` to the notifier's queue: it gives the call to a manager as a task;
- ``CallDue`` to ``crm.events`` as ``call_plan.due``: the integration surface.

A plan's other changes send ``CallPlanned`` to the CRM's queue and to ``crm.events``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Select, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.confirmed_sender import ConfirmedSender
from services.scheduler.adapters.orm import CallPlan
from services.scheduler.domain.plans import DUE, PLANNED
from shared import containment, metrics
from shared.batch_publisher import Outgoing
from shared.contracts import envelope
from shared.db import utcnow
from shared.messages import CallDue, CallPlanned
from shared.publisher import derived_id, outgoing

AGGREGATE = "call_plan"
# Longest a batch of plans spends publishing.
BATCH_BUDGET = 0.1
MIN_CLAIM = 10


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
    message_id = derived_id(
        due.contract.type, row.id, row.status_version, row.next_call_at.isoformat()
    )
    # Unchecked: the data are the row's typed columns, and checking them against the
    # contract cost a quarter of a due call's emission; the notifier and the CRM check it.
    return envelope(due, message_id=message_id, occurred_at=row.next_call_at, check=False)


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
        self.sessions = sessions
        self.sender = sender
        self.exchange = exchange
        self.batch_size = batch_size
        self.claim_size = batch_size
        # Whether the last batch left rows it could not take, so another should follow at once.
        self.more_due = self.more_revisions = False

    def emit_due(self, now: datetime) -> int:
        """Publish CallDue for planned calls due by ``now``; they become ``due``."""
        sent, self.more_due = self._contained(
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
        sent, self.more_revisions = self._contained(
            (CallPlan.published_revision < CallPlan.revision,),
            CallPlan.id,
            self._publish_revision,
            {"published_revision": CallPlan.revision},
        )
        return sent

    def _contained(self, where, order_by, publish_one, values) -> tuple[int, bool]:
        """A batch of plans (never those set aside); a plan that fails on its own is set aside."""
        return containment.contain_batch(
            self.sessions,
            CallPlan,
            where,
            order_by,
            self.batch_size,
            lambda claim: self._claim_publish_mark(claim, order_by, publish_one, values),
            containment.sent_and_more,
        )

    def _claim_publish_mark(self, where, order_by, publish_one, values) -> tuple[int, bool]:
        """Claim a batch (SKIP LOCKED), publish it, mark what the broker confirmed.

        Returns how many were sent and whether more may be waiting (a full batch, or a
        batch cut short by the publishing budget).
        """
        limit = self.claim_size
        with self.sessions() as session, session.begin():
            rows = list(
                session.scalars(
                    select(CallPlan)
                    .where(*where)
                    .order_by(order_by)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            claimed = len(rows)
            rows = self._publish(rows, publish_one)
            if rows:
                session.execute(
                    update(CallPlan)
                    .where(CallPlan.id.in_([r.id for r in rows]))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
        return len(rows), claimed == limit or len(rows) < claimed

    def _publish_due(self, row: CallPlan) -> list[Outgoing]:
        metrics.observe_lateness("call", row.next_call_at)
        # The emitted state is the next revision, published_revision included: the CRM
        # hears of it with the call's task, so no CallPlanned is sent for it.
        return outgoing(self.exchange, AGGREGATE, call_due(row))

    def _publish_revision(self, row: CallPlan) -> list[Outgoing]:
        env = call_planned(row, row.revision, row.state, row.updated_at)
        return outgoing(self.exchange, AGGREGATE, env)

    def _publish(
        self, rows: list[CallPlan], publish_one: Callable[[CallPlan], list[Outgoing]]
    ) -> list[CallPlan]:
        """Publish rows until the time budget is spent; returns those confirmed.

        The rest stay claimed only until the commit, then the next batch takes them: a flood
        of due calls never holds up a timer for longer than one budget. The next claim is
        sized to what fitted, so rows are not locked in vain.
        """
        published = self.sender.publish(rows, publish_one, BATCH_BUDGET)
        if len(published) < len(rows):
            self.claim_size = max(MIN_CLAIM, len(published))
        else:
            self.claim_size = min(self.batch_size, self.claim_size * 2)
        return published

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
