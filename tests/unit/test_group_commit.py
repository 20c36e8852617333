"""Group commit (shared/group_commit.py): a message's thread returns, and dramatiq acks the
message, only once the message's own work has been applied, however many wait beside it."""

from __future__ import annotations

import threading

from sqlalchemy.orm import sessionmaker

from shared.group_commit import MOST, GroupCommit
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
