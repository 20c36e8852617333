"""quarantine: an outbox row the relay can never publish is set aside with its reason

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("outbox",)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("quarantined_at", sa.DateTime(timezone=True)), schema="crm")
        op.add_column(table, sa.Column("quarantine_reason", sa.String(length=500)), schema="crm")


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "quarantine_reason", schema="crm")
        op.drop_column(table, "quarantined_at", schema="crm")
