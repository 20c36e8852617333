"""buyers' reports: each span change names its buyer, and the ranks are indexed by the values
the scores go by and by class or score and value, so that a refresh re-ranks what orders moved

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 04:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values the scores' bounds are read at, and each class or score by the value it goes by.
INDEXES = {
    "last_order_at": ("last_order_at",),
    "orders": ("orders",),
    "abc": ("abc", "revenue"),
    "r": ("r", "last_order_at"),
    "f": ("f", "orders"),
    "m": ("m", "revenue"),
}


def upgrade() -> None:
    """Upgrade schema. The changes logged so far do not say whose they are: they and the
    ranks are dropped, and the CRM's ranks loop ranks every buyer afresh within seconds (the
    reports rank the buyers on each request until then)."""
    op.execute("TRUNCATE crm.analytics_customer_span_changes, crm.analytics_customer_ranks")
    op.add_column(
        "analytics_customer_span_changes",
        sa.Column("counterparty_id", sa.Integer(), nullable=False),
        schema="crm",
    )
    for name, columns in INDEXES.items():
        op.create_index(
            op.f(f"ix_analytics_customer_ranks_{name}"),
            "analytics_customer_ranks",
            ["last_month", "months", *columns],
            schema="crm",
        )


def downgrade() -> None:
    """Downgrade schema."""
    for name in INDEXES:
        op.drop_index(
            op.f(f"ix_analytics_customer_ranks_{name}"),
            table_name="analytics_customer_ranks",
            schema="crm",
        )
    op.drop_column("analytics_customer_span_changes", "counterparty_id", schema="crm")
