"""Group commit (shared/group_commit.py): a message's thread returns, and dramatiq acks the
message, only once the message's own work has been applied, however many wait beside it."""

from __future__ import annotations

import threading

from sqlalchemy.orm import sessionmaker

from shared.group_commit import MOST, MOST_ITEMS, Batch, GroupCommit
from tests.helpers import eventually


def test_the_next_leader_applies_its_own_message_however_many_wait_before_it():
    group = GroupCommit(sessionmaker())  # works that need no database
    applied: list[int] = []

    def work(n: int):
        return lambda _session: applied.append(n)

    # A batch is running, and more messages than a batch takes arrive meanwhile and wait.
    # (The group's own state is set by hand: which waiting thread wakes first is up to the
    # scheduler, and this test needs the one whose message is behind a full batch.)
    with group._lock:
        group._leading = True
    waiting = [threading.Thread(target=group.run, args=(work(n),)) for n in range(MOST + 8)]
    for thread in waiting:
        thread.start()
    eventually(lambda: group.waiting() == MOST + 8)
    with group._lock:
        group._leading = False  # the batch ended; nobody woken yet

    # The next message to come leads, its own at the back of the queue.
    group.run(work(-1))
    assert -1 in applied, "run() returned before its own message was applied"

    with group._lock:
        group._led.notify_all()
    for thread in waiting:
        thread.join(timeout=10)
    assert sorted(applied) == [-1, *range(MOST + 8)]  # every message applied, once


def test_a_batch_takes_messages_up_to_the_items_they_hold_and_leaves_the_rest_for_the_next():
    group = GroupCommit(sessionmaker())
    batches: list[list[int]] = []

    def batched(n: int) -> Batch:
        # A batch message of 100 items (tasks), applied by its batch form.
        return Batch("CreateTasks", n, lambda _session, items: batches.append(items), size=100)

    with group._lock:
        group._leading = True
    waiting = [
        threading.Thread(target=group.run, args=(lambda _s: None, batched(n))) for n in range(8)
    ]
    for thread in waiting:
        thread.start()
    eventually(lambda: group.waiting() == 8)
    with group._lock:
        group._leading = False

    group.run(lambda _s: None, batched(-1))
    # Its own and the four oldest: 500 items, no more, however many messages wait.
    assert batches[0] == [-1, *range(MOST_ITEMS // 100 - 1)]

    with group._lock:
        group._led.notify_all()
    for thread in waiting:
        thread.join(timeout=10)
    assert sorted(n for batch in batches for n in batch) == [-1, *range(8)]
    assert all(len(batch) * 100 <= MOST_ITEMS for batch in batches)
