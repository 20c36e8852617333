"""bottlenecks: the open deals by stage, manager and day entered; open deals by manager and stage

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.crm.analytics.adapters.rebuild import OPEN_DEAL_TABLES, rebuild

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analytics_open_deal_days",
        sa.Column("stage_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("manager_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("deals", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("stage_id", "day", "manager_id"),
        schema="crm",
    )
    op.create_index(
        "ix_deals_open_by_manager",
        "deals",
        ["responsible_id", "stage_id", "stage_entered_at", "id"],
        unique=False,
        schema="crm",
        postgresql_where=sa.text("state = 'in_progress'"),
    )
    # The deals open already are counted at once.
    rebuild(op.get_bind(), OPEN_DEAL_TABLES)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_deals_open_by_manager", table_name="deals", schema="crm")
    op.drop_table("analytics_open_deal_days", schema="crm")
