"""Alembic plumbing shared by the services: one version table per service schema.

Migrations run as the role that owns the schemas (``MIGRATION_DATABASE_URL``). The services
connect as another role (``DATABASE_URL``) that may only read and write rows: after every
migration it is granted exactly that, so a bug or an injection in a service cannot drop,
alter or create anything.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from alembic import command, context
from alembic.config import Config
from psycopg import sql
from sqlalchemy import MetaData, make_url, text

from shared.config import load
from shared.db import libpq_dsn, make_engine

log = logging.getLogger(__name__)

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
SERVICES = ("crm", "scheduler", "notifier")


def alembic_config(service: str, database_url: str | None = None) -> Config:
    """The Alembic config of one service, on ``database_url`` (or ``MIGRATION_DATABASE_URL``)."""
    config = Config(str(SERVICES_DIR / service / "alembic.ini"))
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url or load().migration_database_url)
    return config


def create_database(database_url: str) -> bool:
    """Create the database named in the URL when it does not exist; True if it was created."""
    url = make_url(database_url)
    server = make_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
            return not exists
    finally:
        server.dispose()


def upgrade_all(database_url: str | None = None, app_database_url: str | None = None) -> None:
    """Create the database if needed, migrate every service's schema, grant the app its rows.

    Parameters:
      database_url: the owner's URL; ``MIGRATION_DATABASE_URL`` when omitted.
      app_database_url: the services' URL, whose role is granted; ``DATABASE_URL`` when omitted.
    """
    settings = load()
    database_url = database_url or settings.migration_database_url
    create_database(database_url)
    for service in SERVICES:
        upgrade(service, database_url)
    grant_app_role(database_url, app_database_url or settings.database_url)


# Rows only: no TRUNCATE, REFERENCES or TRIGGER, and no CREATE on the schemas.
_TABLE_RIGHTS = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
_SEQUENCE_RIGHTS = sql.SQL("USAGE, SELECT")


def grant_app_role(owner_url: str, app_url: str) -> None:
    """Let the role of ``app_url`` read and write the rows of every service schema, nothing more.

    The role is created (LOGIN, with the URL's password) when it does not exist yet; an
    existing one is left as the database administrator made it. Tables created later by the
    owner get the same rights through default privileges. Idempotent.
    """
    owner, app = make_url(owner_url), make_url(app_url)
    role = app.username
    if not role or role == owner.username:
        log.warning("the services connect as the schemas' owner: DATABASE_URL needs its own role")
        return
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            secret = (
                sql.SQL(" PASSWORD {}").format(sql.Literal(app.password))
                if app.password
                else sql.SQL("")
            )
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN{}").format(sql.Identifier(role), secret))
        grantee = sql.Identifier(role)
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(owner.database or ""), grantee
            )
        )
        for schema in map(sql.Identifier, SERVICES):
            for statement in (
                "GRANT USAGE ON SCHEMA {s} TO {r}",
                "GRANT {t} ON ALL TABLES IN SCHEMA {s} TO {r}",
                "GRANT {q} ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {t} ON TABLES TO {r}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {q} ON SEQUENCES TO {r}",
                # The services read their schema's version; only migrations may move it.
                "REVOKE INSERT, UPDATE, DELETE ON {s}.alembic_version FROM {r}",
            ):
                conn.execute(
                    sql.SQL(statement).format(
                        s=schema, r=grantee, t=_TABLE_RIGHTS, q=_SEQUENCE_RIGHTS
                    )
                )


def upgrade(service: str, database_url: str | None = None, revision: str = "head") -> None:
    """Migrate one service's schema.

    Parameters:
      service: ``crm``, ``scheduler`` or ``notifier``.
      database_url: target database; ``DATABASE_URL`` when omitted.
      revision: Alembic revision to go to.
    """
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(metadata: MetaData) -> None:
    """Body of a service's ``migrations/env.py``: migrate inside the metadata's schema."""
    schema = metadata.schema
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("the alembic configuration names no sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.commit()
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if __name__ == "__main__":
    upgrade_all()
