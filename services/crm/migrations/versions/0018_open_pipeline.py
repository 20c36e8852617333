"""funnel: the open deals' pipeline by kind, manager and expected close month

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 19:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.crm.analytics.adapters.rebuild import PIPELINE_TABLES, rebuild

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analytics_open_pipeline",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("deals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), server_default="0", nullable=False),
        sa.Column("weighted", sa.Numeric(24, 6), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_open_pipeline")),
        sa.UniqueConstraint(
            "kind_id",
            "manager_id",
            "month",
            name="uq_analytics_open_pipeline_key",
            postgresql_nulls_not_distinct=True,
        ),
        schema="crm",
    )
    # The deals open already are counted at once.
    rebuild(op.get_bind(), PIPELINE_TABLES)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("analytics_open_pipeline", schema="crm")
