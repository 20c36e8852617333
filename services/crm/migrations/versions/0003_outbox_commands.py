"""outbox rows may carry a command for one queue

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("queue", sa.String(length=100), nullable=True), schema="crm")
    op.add_column(
        "outbox",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        schema="crm",
    )


def downgrade() -> None:
    op.drop_column("outbox", "created_at", schema="crm")
    op.drop_column("outbox", "queue", schema="crm")
