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
each item goes back to the consumer's own queue as a single message, under the id it would
have had alone, through the consumer's outbox in the transaction that records the batch as
received. The items then succeed, are retried or are dead-lettered with their reason each
on its own, as single messages always were.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from shared.messages import Message
from shared.publisher import derived_id


def unpacked(batches: Iterable[Message], field: str, single: type[Message]) -> list[Any]:
    """The items of ``batches`` (their list ``field``), as typed ``single`` messages, in order."""
    return [single(**item) for batch in batches for item in getattr(batch, field)]


def batch_id(type_: str, item_ids: Iterable[object]) -> uuid.UUID:
    """The id of a batch message: derived from its items' ids, so the same batch sent again
    is the same message."""
    return derived_id(type_, *item_ids)


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` cut into consecutive runs of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def split_rows(
    items: list[Any],
    *,
    aggregate: str,
    aggregate_id: Callable[[Any], int | str],
    message_id: Callable[[Any], uuid.UUID],
    queue: str,
    row_values: Callable[..., dict[str, Any]],
) -> list[dict[str, Any]]:
    """The outbox rows that send each item of a batch to ``queue`` as a message of its own.

    Parameters:
      items: the batch's items, typed single messages.
      aggregate, aggregate_id: the outbox's aggregate of an item.
      message_id: the id the item has as a single message.
      queue: the consumer's own queue.
      row_values: the service's ``outbox.row_values``.
    """
    return [
        row_values(aggregate, aggregate_id(item), item, queue=queue, message_id=message_id(item))
        for item in items
    ]
