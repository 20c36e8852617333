"""Alembic plumbing shared by the services: one version table per service schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, make_url, text

from shared.config import load
from shared.db import make_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
SERVICES = ("crm", "scheduler", "notifier")


def alembic_config(service: str, database_url: str | None = None) -> Config:
    """The Alembic config of one service, pointed at ``database_url`` (or ``DATABASE_URL``)."""
    config = Config(str(SERVICES_DIR / service / "alembic.ini"))
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url or load().database_url)
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


def upgrade_all(database_url: str | None = None) -> None:
    """Create the database if needed and migrate every service's schema."""
    database_url = database_url or load().database_url
    create_database(database_url)
    for service in SERVICES:
        upgrade(service, database_url)


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
