"""What a test pays to start from an empty database: DELETE from the tables it filled (the
suite's ``clean_db``), TRUNCATE ... CASCADE of them (what ``clean_db`` did before), and
rolling back an outer transaction the test ran inside, each of its commits a savepoint
(``join_transaction_mode="create_savepoint"``).

    .venv/bin/python bench/isolation.py
    .venv/bin/python bench/isolation.py --tests 300

Each round is a typical handler test: an employee with a token, a lead registered with a
status (its phones, history, plan and outbox rows), then the reset. Prints the whole round's
and the reset's p50 for each way, and what the difference comes to over the suite's tests
that use ``clean_db`` (pass their number, ``pytest tests --setup-plan -q | grep -c clean_db``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.figures import machine_line  # noqa: E402
from services.crm.domain.roles import Actor, Role  # noqa: E402
from services.crm.handlers import leads  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from tests import factories  # noqa: E402
from tests.sandbox import empty_service_tables, filled_tables, sandbox  # noqa: E402


def typical_test(sessions: sessionmaker, settings) -> None:
    """The writes of a handler test: a manager, and a lead given a status that plans calls."""
    employee_id, _ = factories.employee(sessions)
    with transaction(sessions) as session:
        leads.create_lead(
            session,
            Actor(employee_id, Role.ADMIN),
            {"name": "Lead", "phones": ["+380441234567"], "status_id": 1},
            settings,
        )


def truncate(owner) -> None:
    """The former clean_db: TRUNCATE ... CASCADE of the filled tables."""
    with owner.begin() as conn:
        filled = filled_tables(conn)
        if filled:
            conn.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
    empty_service_tables(owner)  # the reference books back, as clean_db leaves them


ROLLBACK_MS: list[float] = []


@contextmanager
def inside_rollback(engine):
    """Sessions whose commits are savepoints of one outer transaction, rolled back at exit."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
        finally:
            started = time.perf_counter()
            outer.rollback()
            ROLLBACK_MS.append((time.perf_counter() - started) * 1000)


def rounds(n: int, one_round: Callable[[], None]) -> list[float]:
    whole = []
    for _ in range(n):
        started = time.perf_counter()
        one_round()
        whole.append((time.perf_counter() - started) * 1000)
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=200, help="rounds of each way")
    parser.add_argument("--suite-tests", type=int, default=0, help="tests using clean_db")
    args = parser.parse_args()
    print(machine_line())
    with sandbox("crm_isolation", durable=False) as settings:
        engine = make_engine(settings.database_url)
        owner = make_engine(settings.migration_database_url, pool_size=1)
        sessions = make_session_factory(engine)
        empty_service_tables(owner)
        delete_ms: list[float] = []
        truncate_ms: list[float] = []

        def resetting(reset: Callable[[], None], ms: list[float]) -> Callable[[], None]:
            def one_round() -> None:
                typical_test(sessions, settings)
                started = time.perf_counter()
                reset()
                ms.append((time.perf_counter() - started) * 1000)

            return one_round

        deleting = resetting(lambda: empty_service_tables(owner), delete_ms)
        truncating = resetting(lambda: truncate(owner), truncate_ms)

        def rolling_back() -> None:
            with inside_rollback(engine) as scoped:
                typical_test(scoped, settings)

        for way in (deleting, truncating, rolling_back):
            rounds(10, way)  # warm each path's caches
        for ms in (delete_ms, truncate_ms, ROLLBACK_MS):
            ms.clear()
        by_delete = rounds(args.tests, deleting)
        by_truncate = rounds(args.tests, truncating)
        by_rollback = rounds(args.tests, rolling_back)
        engine.dispose()
        owner.dispose()

    for name, whole, reset in (
        ("DELETE (clean_db)", by_delete, delete_ms),
        ("TRUNCATE CASCADE", by_truncate, truncate_ms),
        ("savepoint rollback", by_rollback, ROLLBACK_MS),
    ):
        print(
            f"{name:20}  round p50 {statistics.median(whole):6.1f} ms   "
            f"reset p50 {statistics.median(reset):6.1f} ms"
        )
    saved = statistics.median(by_delete) - statistics.median(by_rollback)
    print(f"rollback would save {saved:.1f} ms a test over clean_db", end="")
    if args.suite_tests:
        print(f": {saved * args.suite_tests / 1000:.1f} s over {args.suite_tests} tests", end="")
    print()


if __name__ == "__main__":
    main()
