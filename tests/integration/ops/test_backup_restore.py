"""Backup and restore: a dump restored into a fresh database holds every row."""

from __future__ import annotations

from sqlalchemy import make_url, text

from services.crm.domain.roles import Actor, Role
from services.crm.handlers.leads import create_lead
from services.ops.database import pending_migrations, row_counts
from shared.db import make_engine, transaction
from tests import factories
from tests.integration.ops.conftest import status_id


def test_a_backup_restored_into_a_fresh_database_holds_the_same_rows_at_the_same_revisions(
    ops, settings, sessions, clean_db, tmp_path
):
    admin_id, _ = factories.employee(sessions, "admin")
    with transaction(sessions) as session:
        for name in ("Acme", "Globex", "Initech"):
            fields = {"name": name, "status_id": status_id(sessions, "Hot")}
            create_lead(session, Actor(admin_id, Role.ADMIN), fields, settings)
    ops("pause-scheduler")
    dump = tmp_path / "crm.dump"

    assert "backed up" in ops("backup", dump).stdout

    source = make_url(settings.migration_database_url)  # a restore runs as the owner
    target = source.set(database=f"{source.database}_restored").render_as_string(
        hide_password=False
    )
    try:
        ops("restore", dump, "--database-url", target, "--yes")
        restored = row_counts(target)
        assert restored == row_counts(settings.database_url)
        assert restored["crm.leads"] == 3 and restored["scheduler.pause"] == 1
        assert pending_migrations(target) == {}
    finally:
        server = make_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{source.database}_restored" WITH (FORCE)'))
        server.dispose()


def test_restoring_a_file_that_is_not_a_dump_fails_and_says_why(ops, settings, tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    result = ops("restore", junk, "--yes", code=1)
    assert "pg_restore failed" in result.output
