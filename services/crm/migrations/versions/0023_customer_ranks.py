"""buyers' reports: the buyers' ranks among the company's over each kept span, and the orders
they miss

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 01:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema. The ranks start empty: the CRM's ranks loop fills them within
    seconds, and the reports rank the buyers on each request until then."""
    op.create_table(
        "analytics_customer_span_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_customer_span_changes")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_analytics_customer_span_changes_at"),
        "analytics_customer_span_changes",
        ["at"],
        schema="crm",
    )
    # Unlogged: recomputed within seconds from the spans, and empty after a crash until then.
    op.create_table(
        "analytics_customer_ranks",
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("months", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("counterparty_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revenue", sa.Numeric(), nullable=False),
        sa.Column("orders", sa.Numeric(), nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cv", sa.Double(), nullable=True),
        sa.Column("abc", sa.Text(), nullable=True),
        sa.Column("xyz", sa.Text(), nullable=True),
        sa.Column("r", sa.SmallInteger(), nullable=False),
        sa.Column("f", sa.SmallInteger(), nullable=False),
        sa.Column("m", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "last_month", "months", "counterparty_id", name=op.f("pk_analytics_customer_ranks")
        ),
        schema="crm",
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_analytics_customer_ranks_revenue"),
        "analytics_customer_ranks",
        ["last_month", "months", sa.text("revenue DESC"), "counterparty_id"],
        schema="crm",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("analytics_customer_ranks", schema="crm")
    op.drop_index(
        op.f("ix_analytics_customer_span_changes_at"),
        table_name="analytics_customer_span_changes",
        schema="crm",
    )
    op.drop_table("analytics_customer_span_changes", schema="crm")
