"""deals: each move of the stage history names the deal's manager at the move

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 19:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.crm.analytics.adapters.rebuild import DEAL_TABLES, rebuild

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "deal_stage_history",
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        schema="crm",
    )
    op.create_foreign_key(
        op.f("fk_deal_stage_history_responsible_id_employees"),
        "deal_stage_history",
        "employees",
        ["responsible_id"],
        ["id"],
        source_schema="crm",
        referent_schema="crm",
    )
    # Earlier moves did not say whose they were: the deal's manager now is the best known.
    op.execute(
        """
        ALTER TABLE crm.deal_stage_history DISABLE TRIGGER deal_stage_history_immutable;
        UPDATE crm.deal_stage_history h SET responsible_id = d.responsible_id
        FROM crm.deals d WHERE d.id = h.deal_id;
        ALTER TABLE crm.deal_stage_history ENABLE TRIGGER deal_stage_history_immutable;
        """
    )
    # The deals' aggregates (and lost deals) counted from the history as the recorder counts
    # them from now on: each move's figures its manager's then.
    rebuild(op.get_bind(), (*DEAL_TABLES, "analytics_losses"))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint(
        op.f("fk_deal_stage_history_responsible_id_employees"),
        "deal_stage_history",
        schema="crm",
        type_="foreignkey",
    )
    op.drop_column("deal_stage_history", "responsible_id", schema="crm")
