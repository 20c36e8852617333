"""buyers' reports: each buyer's orders over the rolling spans kept

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 22:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema. The tables start empty: the `shift_customer_spans` routine fills them
    within minutes, and the reports add up the months until then."""
    op.create_table(
        "analytics_customer_span_ends",
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("months", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "last_month", "months", name=op.f("pk_analytics_customer_span_ends")
        ),
        schema="crm",
    )
    op.create_table(
        "analytics_customer_spans",
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("months", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("counterparty_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revenue", sa.Numeric(16, 2), server_default="0", nullable=False),
        sa.Column("squares", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "last_month", "months", "counterparty_id", name=op.f("pk_analytics_customer_spans")
        ),
        schema="crm",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("analytics_customer_spans", schema="crm")
    op.drop_table("analytics_customer_span_ends", schema="crm")
