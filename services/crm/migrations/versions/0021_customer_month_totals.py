"""customer reports: each customer's months over every process kind

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.crm.analytics.adapters.rebuild import TOTAL_TABLES, rebuild

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "analytics_customer_month_totals",
        sa.Column("counterparty_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revenue", sa.Numeric(16, 2), server_default="0", nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "counterparty_id", "month", name=op.f("pk_analytics_customer_month_totals")
        ),
        schema="crm",
    )
    op.create_index(
        "ix_analytics_customer_month_totals_month",
        "analytics_customer_month_totals",
        ["month"],
        unique=False,
        schema="crm",
    )
    # The orders routed already are counted at once.
    rebuild(op.get_bind(), TOTAL_TABLES)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("analytics_customer_month_totals", schema="crm")
