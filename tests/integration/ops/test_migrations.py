"""`crm-ops migrate`: creates and migrates a database; `--check` tells pods when to start."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from shared.db import make_engine


@pytest.fixture()
def scratch_url(settings, monkeypatch):
    """The owner's URL of a database that does not exist yet, with the services' role
    (DATABASE_URL) on it too; dropped afterwards."""
    source = make_url(settings.migration_database_url)
    name = f"{source.database}_scratch"
    url = source.set(database=name).render_as_string(hide_password=False)
    app_url = make_url(settings.database_url).set(database=name)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_URL", app_url.render_as_string(hide_password=False))
    yield url
    server = make_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def set_revision(url: str, schema: str, revision: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {schema}.alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_migrate_creates_the_database_and_check_passes_unless_a_schema_is_behind(ops, scratch_url):
    assert "scheduler: at nothing" in ops("migrate", "--check", code=1).output
    ops("migrate")
    ops("migrate", "--check")

    # Newer than this code knows: an old pod during a rolling upgrade may start.
    set_revision(scratch_url, "notifier", "9999_from_a_newer_release")
    ops("migrate", "--check")

    set_revision(scratch_url, "notifier", "0001")
    assert "notifier: at 0001" in ops("migrate", "--check", code=1).output
