"""Group commit: the messages a worker's threads hold at one moment, applied in one transaction.

A dramatiq worker gives each thread one message. Applied alone, every message pays a
connection check-out, its own transaction and a commit that waits for the disk, and its
session loads again the rows the previous message loaded (the assignee, the status). Here
the thread that finds no transaction running leads: it applies its own message and those
the other threads handed in meanwhile, in one transaction, and commits once; the others
wait for the outcome of their message and return (then dramatiq acks) or raise it in their
own thread, where the consumer dead-letters or retries it as if it had been alone.

What a message alone guarantees still holds:
- idempotent by message id: each message's id enters the inbox in the batch's transaction,
  so a duplicate of the batch, or of another batch, changes nothing;
- acknowledged only after commit: a thread returns only once its batch has committed;
- a message that fails does not fail the others: on any error the batch is rolled back
  and each of its messages applied alone, so the error is raised for its own message only.

Work of one kind may also come with its batch form (:class:`Batch`): the messages of that
kind in a batch are then applied by one call, which writes each table once for all of them
instead of once per message; the fallback above applies each alone in its plain form.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from shared import logs
from shared.containment import describe
from shared.db import transaction

log = logging.getLogger(__name__)

# What a message does in a transaction: its inbox entry, then its handler.
Work = Callable[[Session], None]

# session.info key of the rows a batch loaded, held so that the next message's
# ``session.get`` of the same row (its assignee, its status) finds it without a query: the
# session's identity map holds rows weakly, and a message's rows are dropped at its end.
LOADED = "group_commit.loaded"

# Messages a batch takes at most: a batch is as long as its slowest message, and the rows
# it locks (an assignee's day in the reports) wait for its commit. A batch holds no more
# messages than the worker has threads, so the workers of the calling loop run 64 threads
# a process (Procfile, deploy/): while one batch commits the next fills up to this size.
# With 8 threads, a backlog was applied 8 at a time and the loop sustained about 100 due
# calls a second instead of about 200 (bench/loop_latency.py).
MOST = 32
# Items (due calls, tasks) a batch takes at most, when its messages are batches themselves
# (shared/batch_messages.py): after a backlog, 32 messages of 100 tasks would make one
# transaction of seconds that holds its locks as long.
MOST_ITEMS = 500


@dataclass(frozen=True)
class Batch:
    """The batch form of a message's work: ``many(session, items)`` applies the ``item`` of
    every message of the same ``kind`` in the batch, as their plain works would one by one."""

    kind: Hashable
    item: Any
    many: Callable[[Session, list[Any]], None]
    # What the message holds, counted against MOST_ITEMS: a batch message's items.
    size: int = 1


class Interrupted(Exception):
    """The batch's thread was stopped (a time limit, a shutdown) before this message's
    outcome was known: retried, and the inbox tells whether it had been committed."""


@dataclass
class _Entry:
    work: Work
    correlation_id: str | None
    batch: Batch | None = None
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    @property
    def size(self) -> int:
        return self.batch.size if self.batch else 1

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self.done.set()


class GroupCommit:
    """The transactions of a worker process's messages, shared by the messages waiting."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        event.listen(sessions, "loaded_as_persistent", _keep)
        self._lock = threading.Lock()
        self._led = threading.Condition(self._lock)
        self._waiting: list[_Entry] = []
        self._leading = False

    def waiting(self) -> int:
        """How much work waits for the running batch to end."""
        with self._lock:
            return len(self._waiting)

    def run(self, work: Work, batched: Batch | None = None) -> None:
        """Run ``work`` once, in a transaction shared with the work waiting beside it.

        Parameters:
          work: what the message does in a transaction, alone.
          batched: the same in its batch form, used when the batch commits as a whole.

        Raises:
          Exception: what ``work`` raised in a transaction of its own.
        """
        entry = _Entry(work, logs.correlation_id.get(), batched)
        with self._lock:
            self._waiting.append(entry)
            while self._leading and not entry.done.is_set():
                self._led.wait()
            lead = not entry.done.is_set()
            if lead:
                # Its own message and the oldest others: with more waiting than a batch
                # takes, the oldest alone might leave out its own, and it would return (and
                # dramatiq ack the message) without having applied it.
                self._leading = True
                self._waiting.remove(entry)
                batch = self._take(entry)
        if lead:
            try:
                self._run(batch)
            finally:
                with self._lock:
                    self._leading = False
                    self._led.notify_all()
        if entry.error is not None:
            raise entry.error

    def _take(self, entry: _Entry) -> list[_Entry]:
        """``entry`` and the oldest waiting after it, within MOST and MOST_ITEMS."""
        batch, items = [entry], entry.size
        for other in self._waiting:
            if len(batch) == MOST or items + other.size > MOST_ITEMS:
                break
            batch.append(other)
            items += other.size
        del self._waiting[: len(batch) - 1]
        return batch

    def _run(self, batch: list[_Entry]) -> None:
        try:
            try:
                with transaction(self.sessions) as session:
                    session.info[LOADED] = []
                    _apply(session, batch)
                for entry in batch:
                    entry.finish()
            except Exception as exc:
                # Which work failed, and whether it would alone, only a transaction of its
                # own tells: the others must not share its fate.
                log.info(
                    "batch rolled back, applied one by one",
                    extra={"size": len(batch), "error": describe(exc)},
                )
                for entry in batch:
                    try:
                        with transaction(self.sessions) as session:
                            _work(session, entry)
                    except Exception as exc:
                        entry.finish(exc)
                    else:
                        entry.finish()
        finally:
            for entry in batch:
                if not entry.done.is_set():
                    entry.finish(Interrupted("the batch was stopped before its commit"))


def _keep(session: Session, instance: object) -> None:
    loaded = session.info.get(LOADED)
    if loaded is not None:
        loaded.append(instance)


def _apply(session: Session, batch: list[_Entry]) -> None:
    """Each entry's work; the entries of a kind with a batch form, by one call of it."""
    kinds: dict[Hashable, list[_Entry]] = {}
    for entry in batch:
        if entry.batch is None:
            _work(session, entry)
        else:
            kinds.setdefault(entry.batch.kind, []).append(entry)
    for entries in kinds.values():
        # Many messages' work: no one message's correlation id labels its logs.
        token = logs.correlation_id.set(None)
        try:
            entries[0].batch.many(session, [e.batch.item for e in entries])  # type: ignore[union-attr]
        finally:
            logs.correlation_id.reset(token)


def _work(session: Session, entry: _Entry) -> None:
    token = logs.correlation_id.set(entry.correlation_id)
    try:
        entry.work(session)
    finally:
        logs.correlation_id.reset(token)
