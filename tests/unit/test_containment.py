"""Which failures are retried after a pause and which set the row or message aside at once."""

from __future__ import annotations

from typing import Any

import dramatiq.errors
import pika.exceptions
import psycopg.errors
import pytest
import sqlalchemy.exc
from sqlalchemy import column

from shared.containment import Pause, batch_or_isolate, describe, is_transient, never_succeeds
from shared.contracts import ContractError


def wrapped(kind, orig):
    return kind("INSERT INTO crm.tasks (title) VALUES (%(title)s)", {"title": "x"}, orig)


@pytest.mark.parametrize(
    "exc",
    [
        wrapped(sqlalchemy.exc.OperationalError, psycopg.errors.AdminShutdown("terminated")),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        pika.exceptions.StreamLostError("Transport indicated EOF"),
        dramatiq.errors.ConnectionClosed(Exception("closed")),
    ],
)
def test_a_lost_connection_is_retried(exc):
    assert is_transient(exc)
    assert not never_succeeds(exc)


@pytest.mark.parametrize(
    "exc",
    [
        wrapped(sqlalchemy.exc.DataError, psycopg.errors.StringDataRightTruncation("too long")),
        wrapped(sqlalchemy.exc.IntegrityError, psycopg.errors.NotNullViolation("null value")),
        ContractError("due_at: not a valid instant"),
    ],
)
def test_data_the_database_or_the_contract_refuses_never_succeeds(exc):
    assert never_succeeds(exc)
    assert not is_transient(exc)


def test_a_unique_violation_may_be_a_race_and_is_retried_by_the_consumer():
    exc = wrapped(sqlalchemy.exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate"))
    assert not never_succeeds(exc)


def test_the_reason_names_the_error_without_the_statement():
    exc = wrapped(sqlalchemy.exc.DataError, psycopg.errors.StringDataRightTruncation("too\nlong"))
    assert describe(exc) == "psycopg.errors.StringDataRightTruncation: too long"


def test_a_failed_batch_is_retried_row_by_row_and_only_the_failing_row_is_set_aside():
    rows = [1, 2, 3]
    sent: list[Any] = []
    set_aside: dict[Any, Any] = {}

    def run(only):
        chosen = rows if not only else [only[0].right.value]
        if 2 in chosen:
            raise ValueError("year 0 is out of range")
        sent.extend(chosen)
        return len(chosen)

    total = batch_or_isolate(run, lambda: rows, set_aside.__setitem__, column("id"), sum)
    assert (total, sent) == (2, [1, 3])
    assert list(set_aside) == [2] and "year 0" in str(set_aside[2])


def test_a_lost_connection_during_a_batch_sets_nothing_aside():
    def run(only):
        raise psycopg.OperationalError("connection lost")

    with pytest.raises(psycopg.OperationalError):
        batch_or_isolate(
            run,
            lambda: [1],
            lambda row_id, exc: pytest.fail(f"{row_id} set aside"),
            column("id"),
            sum,
        )


def test_a_loop_retries_at_once_after_one_failure_and_slower_while_failures_go_on():
    pause = Pause(first=0.1, most=1.0)
    assert [pause.failed() for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    pause.succeeded()
    assert pause.failed() == 0.1
