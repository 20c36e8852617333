"""operator pause switch: a single row present while crm-ops has paused emission

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:47:19.363513

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "pause",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "paused_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_pause_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pause")),
        schema="scheduler",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("pause", schema="scheduler")
