"""A pooled connection is pinged before use only when it may have died (shared/db.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared import db
from tests.helpers import eventually


@pytest.fixture()
def engine(settings):
    engine = db.make_engine(settings.database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture()
def pings(engine, monkeypatch):
    """The pings the engine sends, counted on the way to the real one."""
    sent = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def backend(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_back_from_use_a_moment_ago_is_used_without_a_ping(engine, pings):
    first = backend(engine)
    assert backend(engine) == backend(engine) == first
    assert pings == []


def test_a_connection_idle_for_long_is_pinged_before_use(engine, pings, monkeypatch):
    first = backend(engine)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend(engine) == first
    assert len(pings) == 1


def test_a_connection_terminated_while_pooled_is_replaced_before_use(engine, owner_engine, pings):
    first = backend(engine)
    # Autocommit: within one transaction pg_stat_activity would show one snapshot throughout.
    with owner_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        gone = text("SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = :pid)")
        eventually(lambda: conn.scalar(gone, {"pid": first}))
    replaced = backend(engine)  # no error: the pool noticed and connected again
    assert replaced != first
    assert len(pings) == 1


def test_a_busy_process_keeps_the_connections_it_opened_instead_of_reopening_them(settings):
    """Eight connections at once, twice: the second time, the same eight server processes
    (a connection closed at check-in and opened again costs the server a process start)."""
    engine = db.make_engine(settings.database_url)
    try:

        def eight_at_once() -> set[int]:
            connections = [engine.connect() for _ in range(8)]
            try:
                return {c.scalar(text("SELECT pg_backend_pid()")) for c in connections}
            finally:
                for connection in connections:
                    connection.close()

        first = eight_at_once()
        assert len(first) == 8
        assert eight_at_once() == first
    finally:
        engine.dispose()
