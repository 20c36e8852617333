"""The database as an operator sees it: schema versions, row counts, backup and restore."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sqlalchemy.exc
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import make_url, text

from shared.db import make_engine
from shared.migrations import SERVICES, alembic_config, create_database


class ToolFailed(RuntimeError):
    """pg_dump or pg_restore exited with an error; the message is its stderr."""


def pending_migrations(database_url: str) -> dict[str, tuple[str | None, str | None]]:
    """Services whose schema is behind this code's newest revision: service -> (current, head).

    A schema ahead of it (a revision this code does not know) is not pending: during a
    rolling upgrade the old processes keep running on the migrated schema.
    """
    scripts = {s: ScriptDirectory.from_config(alembic_config(s, database_url)) for s in SERVICES}
    current: dict[str, str | None] = dict.fromkeys(SERVICES)
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            for service in SERVICES:
                context = MigrationContext.configure(conn, opts={"version_table_schema": service})
                current[service] = context.get_current_revision()
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError):
        pass  # no database, or not granted to this role yet: everything is pending
    finally:
        engine.dispose()
    pending = {}
    for service, script in scripts.items():
        head, revision = script.get_current_head(), current[service]
        if revision != head and (revision is None or _known(script, revision)):
            pending[service] = (revision, head)
    return pending


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def row_counts(database_url: str) -> dict[str, int]:
    """Rows of every table of the service schemas, by ``schema.table``."""
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            tables = conn.scalars(
                text(
                    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                    "WHERE schemaname = ANY(:schemas) ORDER BY 1"
                ),
                {"schemas": list(SERVICES)},
            ).all()
            return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    finally:
        engine.dispose()


def backup(database_url: str, path: Path) -> None:
    """Dump the whole database to ``path`` in pg_dump's custom (compressed) format."""
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}"], database_url)


def restore(database_url: str, path: Path) -> bool:
    """Restore a dump into the database, creating it if missing; True if it was created.

    Objects the dump holds are dropped and recreated in one transaction, so a failed
    restore leaves the database as it was.
    """
    created = create_database(database_url)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            str(path),
        ],
        database_url,
    )
    return created


def _run(argv: list[str], database_url: str) -> None:
    # The password goes through the environment: an argument would show in `ps`.
    url = make_url(database_url).set(drivername="postgresql")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    dsn = url.set(password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [*argv, f"--dbname={dsn}"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ToolFailed(f"{argv[0]} failed: {done.stderr.strip()}")
