"""bottlenecks: the open deals by stage and stage-entry time, for the deals stalled now

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 13:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_deals_open_in_stage",
        "deals",
        ["stage_id", "stage_entered_at", "id"],
        unique=False,
        schema="crm",
        postgresql_include=["responsible_id", "kind_id"],
        postgresql_where=sa.text("state = 'in_progress'"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_deals_open_in_stage", table_name="deals", schema="crm")
