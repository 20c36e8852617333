"""employee locale: notifications are written in the recipient's language

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "employees",
        sa.Column("locale", sa.String(length=8), server_default="en", nullable=False),
        schema="notifier",
    )


def downgrade() -> None:
    op.drop_column("employees", "locale", schema="notifier")
