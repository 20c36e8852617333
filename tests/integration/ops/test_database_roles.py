"""The services' database role reads and writes rows; only the owner, migrating, changes schemas.

The whole test run connects as such a role (tests/sandbox.py), created and granted by the
same ``upgrade_all`` that `make migrate` and `crm-ops migrate` run.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from shared.migrations import grant_app_role

REFUSED = [
    "DROP TABLE crm.leads",
    "DROP SCHEMA notifier CASCADE",
    "ALTER TABLE crm.employees ADD COLUMN is_root boolean",
    "ALTER TABLE scheduler.call_plans DISABLE TRIGGER ALL",
    "CREATE TABLE crm.backdoor (id int)",
    "CREATE TABLE public.backdoor (id int)",
    "CREATE SCHEMA backdoor",
    "CREATE INDEX ix_backdoor ON crm.leads (name)",
    "CREATE FUNCTION notifier.backdoor() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "TRUNCATE crm.leads",
    "UPDATE crm.alembic_version SET version_num = '0001'",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_services_role_may_not_drop_alter_or_create_anything(engine, statement):
    with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text(statement))
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), refused.value


def test_the_services_role_owns_nothing_and_holds_no_special_power(engine, settings):
    role = make_url(settings.database_url).username
    assert role != make_url(settings.migration_database_url).username
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == role
        powers = conn.execute(
            text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                "FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owned = conn.scalar(
            text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole)"
                " + (SELECT count(*) FROM pg_namespace WHERE nspowner = current_user::regrole)"
            )
        )
    assert tuple(powers) == (False, False, False, False)
    assert owned == 0


def test_the_services_role_reads_and_writes_rows_of_tables_added_later(
    engine, owner_engine, settings
):
    # A later migration adds a table: the owner's default privileges grant it rows at once.
    with owner_engine.begin() as conn:
        conn.execute(text("CREATE TABLE crm.added_later (id serial PRIMARY KEY, note text)"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO crm.added_later (note) VALUES ('a'), ('b')"))
            conn.execute(text("UPDATE crm.added_later SET note = 'c' WHERE id = 1"))
            conn.execute(text("DELETE FROM crm.added_later WHERE id = 2"))
            assert conn.execute(text("SELECT id, note FROM crm.added_later")).all() == [(1, "c")]
        # Granting again (every `crm-ops migrate` does) changes nothing and fails nothing.
        grant_app_role(settings.migration_database_url, settings.database_url)
        with engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text("DROP TABLE crm.added_later"))
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text("DROP TABLE crm.added_later"))
