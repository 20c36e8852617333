"""Batch messages: the calling loop's many items of one kind in one message.

A due call passes two queues on its way to a task (scheduler -> notifier -> CRM). Sent one
a message, each call paid at every hop what a message costs whatever it holds: a publish
and its confirm, the broker's write, a worker thread's turn, the contract check, an ack,
an inbox row. At the top of the hour those costs were most of the loop's CPU, so the
scheduler sends a batch's due calls as one ``CallsDue`` and the notifier the tasks of its
transaction as ``CreateTasks`` (docs/messages.md).

Each item keeps its own natural key (the call's plan and due time, the task's key), and
the consumers make each item's effect once per key, whatever batch it came in: a batch
sent again after a crash may hold other items than the first time.

A batch its consumer cannot apply whole (one subject gone, one manager missing) is split:
each item goes back to the consumer's own queue as a single message, under the id it has
alone (:attr:`Batched.single_id`), through the consumer's outbox in the transaction that
records the batch as received. The items then succeed, are retried or are dead-lettered
with their reason each on its own, as single messages always were.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts import contract_for
from shared.messages import Message, message_class
from shared.outbox import row_values
from shared.publisher import derived_id


@dataclass(frozen=True)
class Batched:
    """What a batch type holds: its list ``field`` of items of the ``single`` type."""

    field: str
    single: str
    # The outbox's aggregate of an item sent alone.
    aggregate: str
    aggregate_id: Callable[[Any], int | str]
    # The id an item has as a message of its own: the same every time.
    single_id: Callable[[Any], uuid.UUID]


def call_due_id(plan_id: int, status_version: int, due_at: datetime) -> uuid.UUID:
    """The id of one due call's CallDue: its plan, status version and due time."""
    return derived_id("CallDue", plan_id, status_version, due_at.isoformat())


BATCHED: dict[str, Batched] = {
    "CallsDue": Batched(
        "calls",
        "CallDue",
        "call_plan",
        lambda due: due.plan_id,
        lambda due: call_due_id(due.plan_id, due.status_version, due.due_at),
    ),
    "CreateTasks": Batched(
        "tasks",
        "CreateTask",
        "task",
        lambda task: task.key,
        lambda task: derived_id("CreateTask", task.key),
    ),
}


def unpacked(batches: Iterable[Message]) -> list[Any]:
    """The items of ``batches``, typed as their single messages, in order."""
    items = []
    for batch in batches:
        kind = BATCHED[batch.contract.type]
        single = message_class(contract_for(kind.single))
        items += [single(**item) for item in getattr(batch, kind.field)]
    return items


def items_in(message: Message) -> int:
    """How many items ``message`` holds: a batch's, or one."""
    kind = BATCHED.get(message.contract.type)
    return len(getattr(message, kind.field)) if kind else 1


def batch_id(type_: str, item_ids: Iterable[object]) -> uuid.UUID:
    """The id of a batch message: derived from its items' ids, so the same batch sent again
    is the same message."""
    return derived_id(type_, *item_ids)


def split_rows(batch: Message, queue: str) -> list[dict[str, Any]]:
    """The outbox rows that send each item of ``batch`` (a batch message that could not be
    applied whole) to ``queue``, the consumer's own, as a message of its own."""
    kind = BATCHED[batch.contract.type]
    return [
        row_values(
            kind.aggregate,
            kind.aggregate_id(item),
            item,
            queue=queue,
            message_id=kind.single_id(item),
        )
        for item in unpacked([batch])
    ]
