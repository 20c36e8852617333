"""deal analytics: the funnel's and bottlenecks' aggregates, win-probability models and chances

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 10:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def _seconds(name: str) -> sa.Column:
    return sa.Column(name, sa.Double(), server_default="0", nullable=False)


def upgrade() -> None:
    """Upgrade schema."""
    key = [sa.Column("day", sa.Date(), nullable=False)]
    ids = ("kind_id", "manager_id")
    op.create_table(
        "analytics_deal_days",
        *key,
        *(sa.Column(n, sa.Integer(), autoincrement=False, nullable=False) for n in ids),
        *(_count(n) for n in ("opened", "won", "lost", "cancelled")),
        sa.Column("won_amount", sa.Numeric(16, 2), server_default="0", nullable=False),
        _seconds("cycle_seconds"),
        sa.PrimaryKeyConstraint("day", *ids),
        schema="crm",
    )
    stage_ids = ("kind_id", "stage_id", "manager_id")
    op.create_table(
        "analytics_deal_stage_days",
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(n, sa.Integer(), autoincrement=False, nullable=False) for n in stage_ids),
        *(_count(n) for n in ("reached", "reached_in_order", "dropped", "stays")),
        _seconds("stay_seconds"),
        sa.PrimaryKeyConstraint("day", *stage_ids),
        schema="crm",
    )
    op.create_table(
        "analytics_deal_stays",
        sa.Column("month", sa.Date(), nullable=False),
        *(sa.Column(n, sa.Integer(), autoincrement=False, nullable=False) for n in stage_ids),
        sa.Column("band", sa.Integer(), autoincrement=False, nullable=False),
        *(_count(n) for n in ("stays", "late")),
        _seconds("seconds"),
        _seconds("max_seconds"),
        sa.PrimaryKeyConstraint("month", *stage_ids, "band"),
        schema="crm",
    )
    op.create_table(
        "analytics_win_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("tables", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="crm",
    )
    op.create_table(
        "analytics_win_chances",
        sa.Column("deal_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal_id"),
        schema="crm",
    )
    # Deals already in the history join the funnel in 0019, once its moves name their managers.


def downgrade() -> None:
    """Downgrade schema."""
    for table in (
        "analytics_win_chances",
        "analytics_win_models",
        "analytics_deal_stays",
        "analytics_deal_stage_days",
        "analytics_deal_days",
    ):
        op.drop_table(table, schema="crm")
