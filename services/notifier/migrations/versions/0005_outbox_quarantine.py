"""quarantine: an outbox row the relay can never publish is set aside with its reason

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("outbox",)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("quarantined_at", sa.DateTime(timezone=True)), schema="notifier"
        )
        op.add_column(
            table, sa.Column("quarantine_reason", sa.String(length=500)), schema="notifier"
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "quarantine_reason", schema="notifier")
        op.drop_column(table, "quarantined_at", schema="notifier")
