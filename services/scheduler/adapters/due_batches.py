"""Claim, publish, mark: how the tick emits the due rows of a table, one batch a transaction.

Claim rows with ``FOR UPDATE SKIP LOCKED`` (instances side by side share the rows and never
take the same one), publish them with publisher confirms, mark those published while the
broker writes them, and commit once it confirmed every one: the mark is part of the
transaction, so no other reader sees it and no crash keeps it before the confirms. A
refused batch or a crash before the commit leaves the rows as they were; the next claim
publishes them again under the same deterministic message ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler.adapters.confirmed_sender import ConfirmedSender, Submitted
from shared import containment
from shared.batch_publisher import Outgoing
from shared.db import one_of

# Longest a batch spends building its messages; the rest of its rows go in the next batch,
# so a flood of due calls never holds up a timer for much longer than this.
BATCH_BUDGET = 0.1
MIN_CLAIM = 10


# The messages of a chunk of claimed rows (confirmed_sender.py).
Publish = Callable[[Sequence[Any]], list[Outgoing]]


def each(publish_one: Callable[[Any], list[Outgoing]]) -> Publish:
    """The messages of a chunk where every row sends its own."""
    return lambda rows: [message for row in rows for message in publish_one(row)]


class DueBatches:
    """Emits the rows of ``model`` a query names, in batches of at most ``batch_size``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: ConfirmedSender,
        model: type[Any],
        batch_size: int,
    ):
        self.sessions = sessions
        self.sender = sender
        self.model = model
        self.batch_size = batch_size
        self.claim_size = batch_size

    def emit(
        self,
        where: tuple,
        order_by: Any,
        publish: Publish,
        values: dict[str, Any],
    ) -> tuple[int, bool]:
        """One batch of the rows matching ``where`` (never those set aside), published a
        chunk at a time with ``publish`` and updated with ``values``; a row that fails on its
        own is set aside.

        Returns how many were sent and whether more may be waiting (a full batch, or a batch
        cut short by the publishing budget).
        """
        return containment.contain_batch(
            self.sessions,
            self.model,
            where,
            order_by,
            self.batch_size,
            lambda claim: self._claim_publish_mark(claim, order_by, publish, values),
            containment.sent_and_more,
        )

    def _claim_publish_mark(self, where, order_by, publish, values) -> tuple[int, bool]:
        model, limit = self.model, self.claim_size
        with self.sessions() as session, session.begin():
            # Plain rows, read by column name as the model's attributes: loading them as
            # mapped objects cost more CPU than building their messages.
            rows: list[Any] = list(
                session.execute(
                    select(*model.__table__.columns)
                    .where(*where)
                    .order_by(order_by)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            claimed = len(rows)
            sent = self._submit(rows, publish)
            if sent.items:
                # Marked while the broker writes the messages; committed only after the
                # wait below, which raises (rolling the mark back) unless all were confirmed.
                session.execute(
                    update(model)
                    .where(one_of(model.id, [r.id for r in sent.items]))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            sent.wait()
        return len(sent.items), claimed == limit or len(sent.items) < claimed

    def _submit(self, rows: list, publish: Publish) -> Submitted:
        """Publish rows until the time budget is spent; returns those sent.

        The rest stay claimed only until the commit, then the next batch takes them. The next
        claim is sized to what fitted, so rows are not locked in vain.
        """
        sent = self.sender.submit(rows, publish, BATCH_BUDGET)
        if len(sent.items) < len(rows):
            self.claim_size = max(MIN_CLAIM, len(sent.items))
        else:
            self.claim_size = min(self.batch_size, self.claim_size * 2)
        return sent
