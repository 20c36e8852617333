"""Database helpers every service uses: engines, sessions, the UTC clock and the inbox."""

from __future__ import annotations

import select as fd_select
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Executable,
    MetaData,
    Table,
    Uuid,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    make_url,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL, CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

# Stable constraint names, so Alembic migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def stamped(**kwargs: Any) -> Mapped[datetime]:
    """A ``timestamptz`` column that the database fills with the time of the insert."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), **kwargs)


def metadata_for(schema: str) -> MetaData:
    """A MetaData whose tables live in the service's own PostgreSQL schema.

    Parameters:
      schema: the schema the service owns (``crm``, ``scheduler``, ``notifier``).
    """
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine with a pool sized for a worker process that checks a connection before use.

    A connection is pinged on checkout only when it may have died: idle for longer than
    ``PING_AFTER_IDLE_SECONDS``, or the server has written to it while it sat in the pool
    (a terminated backend or a shutting-down server says so, then closes it). One taken
    back a moment ago is not: a ping on every checkout (``pool_pre_ping``) is one more
    round trip on every request and every message.

    By default the pool keeps every connection it opens, up to 15, and opens no more:
    with a smaller pool and overflow, a process busier than the pool (a worker's threads, the
    notifier's delivery threads beside its relay) closed a connection at each check-in and
    opened one at the next check-out, and every new connection costs the server a process
    start: at 400 due calls a second, the loop's processes opened about 25 a second, about a
    sixth of the machine's CPU. A pool sized by its caller (a tool of one thread) may still
    open 10 more at once.

    Parameters:
      url: SQLAlchemy URL (``postgresql+psycopg://...``).
      kwargs: passed on to :func:`sqlalchemy.create_engine`.
    """
    kwargs.setdefault("max_overflow", 10 if "pool_size" in kwargs else 0)
    kwargs.setdefault("pool_size", 15)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_suspect(engine)
    return engine


# How long a connection may sit in the pool and still be trusted without a ping: less than
# any firewall or proxy takes to drop an idle connection without a word.
PING_AFTER_IDLE_SECONDS = 10.0
_RETURNED_AT = "shared.db.returned_at"


def _ping_when_suspect(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.pop(_RETURNED_AT, None)
        if returned_at is None:
            return  # connected for this checkout
        idle = time.monotonic() - returned_at
        if idle < PING_AFTER_IDLE_SECONDS and not _spoken_to(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"connection failed its ping: {exc}") from exc


def _spoken_to(dbapi_connection: Any) -> bool:
    """Whether an idle connection has input waiting: nothing is asked of the server between
    transactions, so anything it sent (a termination notice, a closed socket) is news."""
    try:
        return bool(fd_select.select([dbapi_connection.fileno()], [], [], 0)[0])
    except (OSError, ValueError, dbapi_connection.Error):
        return True  # closed already: the ping fails and the pool replaces it


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session


class InboxColumns:
    """Mixin of the table of message ids a service has already acted on.

    ``class InboxMessage(InboxColumns, Base)``: in the service's schema, ``message_id`` as
    primary key.
    """

    __tablename__ = "inbox"

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    processed_at: Mapped[datetime] = stamped()


def first_delivery(
    session: Session, inbox: type[InboxColumns], message_id: uuid.UUID | str
) -> bool:
    """Record a message id in the inbox within the caller's transaction.

    The caller applies its effect only when this returns True, so the effect and the
    dedup key commit together or not at all.

    Parameters:
      session: the session whose transaction holds the consumer's effect.
      inbox: the service's ``InboxMessage`` class.
      message_id: the id of the message being consumed.

    Returns:
      bool: False when this message was processed before.
    """
    return bool(first_deliveries(session, inbox, [message_id]))


def first_deliveries(
    session: Session, inbox: type[InboxColumns], message_ids: list[uuid.UUID | str]
) -> set[uuid.UUID]:
    """Record message ids in the inbox within the caller's transaction, in one statement.

    The batch form of :func:`first_delivery`: the caller applies the effect of the messages
    whose ids this returns, and of no other (an id given twice is returned once).

    Parameters:
      session: the session whose transaction holds the consumers' effect.
      inbox: the service's ``InboxMessage`` class.
      message_ids: the ids of the messages being consumed.

    Returns:
      set: the ids not processed before.
    """
    ids = [uuid.UUID(str(m)) for m in message_ids]
    stmt = _RECORD_IDS.get(inbox)
    if stmt is None:
        # Built once an inbox: one array parameter, the same statement for any number of ids.
        table = table_of(inbox)
        source = select(func.unnest(bindparam("ids", type_=ARRAY(Uuid))))
        stmt = _RECORD_IDS[inbox] = (
            insert(table)
            .from_select(["message_id"], source)
            .on_conflict_do_nothing()
            .returning(table.c.message_id)
        )
    return set(session.scalars(stmt, {"ids": ids}))


_RECORD_IDS: dict[type[InboxColumns], Executable] = {}


def libpq_dsn(url: str) -> str:
    """psycopg's own DSN (for LISTEN and raw connections) of a SQLAlchemy URL, which names
    the driver."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (``Session.execute`` is typed to return a plain
    ``Result``; for such statements it is a ``CursorResult``)."""
    return cast(CursorResult[Any], result).rowcount


def table_of(model: type[Any]) -> Table:
    """The Table a mapped class maps (declarative types ``__table__`` as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def any_of(column: Any, name: str) -> ColumnElement[bool]:
    """``column = ANY(:name)``: :func:`one_of` with the array given at execution, under
    ``name``, for a statement built once (its construction, not the query, is what costs
    on a hot path)."""
    return cast(ColumnElement[bool], column == any_(bindparam(name, type_=ARRAY(column.type))))


# The largest PostgreSQL integer, the type of every id: a larger number (say from a URL or a
# message) names no row and must not reach SQL, where it would fail as out of range.
INT_MAX = 2**31 - 1


def row_ids(ids: Iterable[int | None]) -> list[int]:
    """The distinct ids among ``ids`` that can name a row, in order (none, 0 and ids beyond
    ``INT_MAX`` cannot)."""
    return sorted({i for i in ids if i is not None and 0 < i <= INT_MAX})


def one_of(column: Any, ids: list[int] | list[str]) -> ColumnElement[bool]:
    """``column = ANY(:ids)`` with the ids as one array parameter: an IN list would be a
    parameter each, parsed and converted one by one on every batch."""
    return cast(ColumnElement[bool], column == any_(sql_cast(ids, ARRAY(column.type))))
