"""The one way a service's worker starts: broker, settings, logs, then its consumer actor."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from shared import config, logs
from shared.broker import ensure_broker
from shared.consumer import BatchHandler, Handler, actor_options, consume
from shared.db import InboxColumns, make_engine, make_session_factory
from shared.group_commit import GroupCommit

SessionsHook = Callable[[sessionmaker[Session], config.Settings], None]


class Worker:
    """A service's dramatiq worker, as its ``entrypoints/actors.py`` declares it at import.

    Building it reads the settings once, installs the RabbitMQ broker unless one is installed
    already (a test's), and configures the logs; :meth:`consumer` declares the one actor.
    The handlers that need settings are given :attr:`settings`; none reads them again.

    Parameters:
      name: the process's name in logs (``crm-worker``).
      queue: the service's queue, which names its actor.
      on_sessions: called once with the session factory when it is made, to hook into it.
    """

    def __init__(self, name: str, queue: str, on_sessions: SessionsHook | None = None) -> None:
        self.queue = queue
        self.settings = config.load()
        self.broker = ensure_broker(self.settings)
        logs.configure(name, self.settings.log_level)
        self._on_sessions = on_sessions
        self._sessions: sessionmaker[Session] | None = None
        self._group: GroupCommit | None = None
        self._lock = threading.Lock()

    def sessions(self) -> sessionmaker[Session]:
        """The session factory, made at the first message: importing connects to nothing."""
        with self._lock:  # the worker's threads take their first messages together
            if self._sessions is None:
                factory = make_session_factory(make_engine(self.settings.database_url))
                if self._on_sessions is not None:
                    self._on_sessions(factory, self.settings)
                self._sessions = factory
                self._group = GroupCommit(factory)
            return self._sessions

    def group(self) -> GroupCommit:
        """The process's shared transactions (:mod:`shared.group_commit`)."""
        self.sessions()
        assert self._group is not None
        return self._group

    def consumer(
        self,
        handlers: dict[str, Handler],
        inbox: type[InboxColumns],
        permanent: tuple[type[Exception], ...] = (),
        grouped: frozenset[str] = frozenset(),
        batches: dict[str, BatchHandler] | None = None,
    ) -> dramatiq.Actor[[dict[str, Any]], None]:
        """Declare the service's one actor, which applies each message with :func:`consume`.

        Parameters:
          handlers: message type -> ``handler(session, envelope, data)``.
          inbox: the service's ``InboxMessage`` class.
          permanent: errors that retrying cannot fix, dead-lettered at once.
          grouped: message types that share their transaction with the messages the
            process's other threads hold (:mod:`shared.group_commit`): the many small ones
            of a busy hour. A long one (a routine) keeps a transaction of its own.
          batches: grouped message type -> its handler's batch form, which applies the
            messages of that type a shared transaction holds in a statement per table.

        Returns:
          dramatiq.Actor: the actor, bound to :attr:`broker`.
        """

        def handle_message(message: dict[str, Any]) -> None:
            group = self.group() if message.get("type") in grouped else None
            consume(
                message,
                handlers,
                self.sessions(),
                inbox,
                permanent=permanent,
                group=group,
                batches=batches,
            )

        return dramatiq.actor(broker=self.broker, **actor_options(self.queue))(handle_message)
