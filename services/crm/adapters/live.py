"""Live notifications: Redis pub/sub wakes the open pages of an employee after a commit.

Redis carries only "employee N has something new"; the notifications themselves are rows
of ``crm.notifications``, which a page reads after its last seen id. A lost message (Redis
down, a page reconnecting) therefore loses nothing: the next wake-up or the stream's
periodic catch-up reads it from PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import defaultdict

import redis
from sqlalchemy import event, make_url
from sqlalchemy.orm import Session, sessionmaker

from services.crm.handlers.inbox import NOTIFIED

log = logging.getLogger(__name__)


def namespace(database_url: str) -> str:
    """Prefix of this deployment's Redis keys and channels: one Redis may serve several."""
    return f"crm:{make_url(database_url).database}"


def channel(database_url: str) -> str:
    return f"{namespace(database_url)}:inbox"


def publish_after_commit(factory: sessionmaker[Session], client: redis.Redis, name: str) -> None:
    """After each commit that notified someone, publish their ids on channel ``name``."""

    @event.listens_for(factory, "after_commit")
    def publish(session: Session) -> None:
        recipients = session.info.pop(NOTIFIED, None)
        if not recipients:
            return
        try:
            client.publish(name, json.dumps(sorted(recipients)))
        except redis.RedisError as exc:
            # The rows are committed; open pages catch up from PostgreSQL on their next poll.
            log.warning("live notification not published", extra={"error": str(exc)})

    @event.listens_for(factory, "after_rollback")
    def forget(session: Session) -> None:
        session.info.pop(NOTIFIED, None)


class Hub:
    """One Redis subscription per process, fanned out to the open streams of each employee.

    Written with threads and queues, so that under gevent (the API's worker class) the
    listener is a greenlet and every open stream waits without holding a thread.
    """

    def __init__(self, client: redis.Redis, name: str):
        self.client, self.name = client, name
        self.listeners: dict[int, set[queue.Queue]] = defaultdict(set)
        self.lock = threading.Lock()
        self.started = False

    def listen(self, employee_id: int) -> queue.Queue:
        """A queue that receives a wake-up whenever ``employee_id`` gets a notification."""
        wake: queue.Queue = queue.Queue(maxsize=1)
        with self.lock:
            self.listeners[employee_id].add(wake)
            if not self.started:
                self.started = True
                threading.Thread(target=self._run, name="live-hub", daemon=True).start()
        return wake

    def forget(self, employee_id: int, wake: queue.Queue) -> None:
        with self.lock:
            self.listeners[employee_id].discard(wake)
            if not self.listeners[employee_id]:
                del self.listeners[employee_id]

    def open_streams(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.listeners.values())

    def _run(self) -> None:
        while True:
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.name)
                for message in pubsub.listen():
                    self.wake(json.loads(message["data"]))
            except (redis.RedisError, OSError, ValueError) as exc:
                log.warning("live hub lost Redis; retrying", extra={"error": str(exc)})
                time.sleep(1)

    def wake(self, employee_ids: list[int]) -> None:
        with self.lock:
            targets = [w for e in employee_ids for w in self.listeners.get(e, ())]
        for wake in targets:
            # A full queue is a stream already woken: it reads everything new at once.
            with contextlib.suppress(queue.Full):
                wake.put_nowait(True)
