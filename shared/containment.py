"""Containing what cannot be processed, so that one bad row or message never stops a service.

Every error is either *transient* (a lost connection to the database or the broker: back
off and try again, the row or message is fine) or *permanent* (the row or message itself
can never be processed: retrying the same thing fails the same way). A permanent failure
of a batch is narrowed down to its rows; each row that fails on its own is set aside in a
quarantine state with its reason (``quarantined_at``, ``quarantine_reason``), logged and
counted, and the loop goes on with every other row. ``crm-ops quarantine`` lists and
releases them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import dramatiq.errors
import pika.exceptions
import psycopg
import sqlalchemy.exc
from sqlalchemy import ColumnElement, DateTime, FromClause, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from shared.batch_publisher import NotConfirmed
from shared.contracts import ContractError
from shared.db import utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
REASON_LENGTH = 500

# Lost or refused connections: nothing is wrong with the row or message being processed.
TRANSIENT = (
    pika.exceptions.AMQPError,
    NotConfirmed,  # a batch the broker did not take: published again, not the rows' fault
    dramatiq.errors.BrokerConnectionError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # the pool had no connection to give
    ConnectionError,
    TimeoutError,
)
# Integrity errors no retry fixes: a missing required value, a broken check. A unique or
# foreign-key violation may be a race with another consumer and is retried.
PERMANENT_SQLSTATES = {"23502", "23514"}


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same work later may succeed (a connection, not the data, failed)."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


def never_succeeds(exc: BaseException) -> bool:
    """Whether a consumed message failing with ``exc`` fails the same way on every retry.

    A value the database refuses (too long for its column, out of range, an impossible
    instant), a broken contract, a missing required value or a broken check.
    """
    if isinstance(exc, ContractError | sqlalchemy.exc.DataError | psycopg.DataError):
        return True
    if isinstance(exc, sqlalchemy.exc.IntegrityError):
        return getattr(exc.orig, "sqlstate", None) in PERMANENT_SQLSTATES
    return False


def describe(exc: BaseException) -> str:
    """A one-line reason for an operator: the error's type and message, without the SQL."""
    cause = exc.orig if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig else exc
    text = " ".join(str(cause).split())
    kind = type(cause)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return f"{name}: {text}"[:REASON_LENGTH]


class Quarantinable:
    """Mixin of the columns that set a row aside: when, and why."""

    quarantined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quarantine_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))

    if TYPE_CHECKING:  # what the mapped class of every such row has; the mapping provides it
        __table__: ClassVar[FromClause]
        id: Mapped[Any]


def not_quarantined(model: type[Quarantinable]) -> ColumnElement[bool]:
    """The claim condition that skips rows set aside."""
    return model.quarantined_at.is_(None)


def set_aside(
    sessions: sessionmaker[Session], model: type[Quarantinable], row_id: Any, exc: BaseException
) -> str:
    """Quarantine one row with the reason ``exc`` gives; returns the reason."""
    reason = describe(exc)
    with sessions() as session, session.begin():
        session.execute(
            update(model)
            .where(model.id == row_id)
            .values(quarantined_at=utcnow(), quarantine_reason=reason)
            .execution_options(synchronize_session=False)
        )
    table = str(model.__table__)  # the schema-qualified name, as Table.fullname
    log.error("row quarantined", extra={"table": table, "id": row_id, "reason": reason})
    lazy_metrics().count_quarantined(table)
    return reason


def batch_or_isolate(
    run: Callable[[tuple[Any, ...]], T],
    candidates: Callable[[], Sequence[Any]],
    quarantine: Callable[[Any, BaseException], object],
    key: Any,
    combine: Callable[[list[T]], T],
) -> T:
    """Run a batch; if it fails for good, run its rows one by one and quarantine those that fail.

    Parameters:
      run: does the batch's work; called with ``()`` for the whole batch, then with
        ``(key == row_id,)`` to restrict it to one row.
      candidates: the ids of the rows the batch would take (read without loading the rows,
        so a row that cannot even be loaded is found too).
      quarantine: sets one row aside, given its id and the error.
      key: the id column.
      combine: folds the results of the single-row runs into one result.

    Raises:
      a transient error (see :func:`is_transient`): the caller backs off and retries.
    """
    try:
        return run(())
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("batch failed, trying its rows one by one", extra={"error": describe(exc)})
    results = []
    for row_id in candidates():
        try:
            results.append(run((key == row_id,)))
        except Exception as exc:
            if is_transient(exc):
                raise
            quarantine(row_id, exc)
    return combine(results)


def contain_batch(
    sessions: sessionmaker[Session],
    model: type[Quarantinable],
    where: tuple[Any, ...],
    order_by: Any,
    limit: int,
    run: Callable[[tuple[Any, ...]], T],
    combine: Callable[[list[T]], T],
) -> T:
    """:func:`batch_or_isolate` over the rows of ``model`` matching ``where`` that are not set
    aside; ``run(where)`` claims and processes up to ``limit`` of them in ``order_by``."""
    where = (*where, not_quarantined(model))

    def candidates() -> list[Any]:
        with sessions() as session:
            return list(
                session.scalars(select(model.id).where(*where).order_by(order_by).limit(limit))
            )

    return batch_or_isolate(
        lambda only: run((*where, *only)),
        candidates,
        lambda row_id, exc: set_aside(sessions, model, row_id, exc),
        model.id,
        combine,
    )


def sent_and_more(results: list[tuple[int, bool]]) -> tuple[int, bool]:
    """Rows sent by single-row batches; more may wait, as only one batch's rows were tried."""
    return sum(sent for sent, _ in results), True


class Pause:
    """How long a loop waits after a failed iteration: short at first, so that a connection
    closed once is back at once, then doubling up to ``most`` while the failures go on."""

    def __init__(self, first: float = 0.1, most: float = 2.0):
        self.first, self.most = first, most
        self.next = first

    def failed(self) -> float:
        seconds, self.next = self.next, min(self.next * 2, self.most)
        return seconds

    def succeeded(self) -> None:
        self.next = self.first


def backoff(exc: BaseException, what: str, reset: Callable[[], None] | None = None) -> None:
    """Log a failed loop iteration by its kind; ``reset`` drops a broker connection it broke."""
    if is_transient(exc):
        log.warning(f"{what}: connection lost, retrying", extra={"error": describe(exc)})
    else:
        log.exception(f"{what}: iteration failed, retrying", extra={"error": describe(exc)})
    lazy_metrics().count_loop_failure(what, "transient" if is_transient(exc) else "permanent")
    if reset is not None:
        try:
            reset()
        except Exception as error:  # the connection was already gone
            log.debug("reset failed", extra={"error": str(error)})


def lazy_metrics() -> ModuleType:
    # Imported when first counted: a dramatiq worker imports this module before it sets
    # PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads when it is first imported.
    from shared import metrics

    return metrics
