"""refusal status flag: the status a refusal moves a customer to is marked in the reference
book (is_refusal), not found by its name from configuration; at most one is marked

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-29 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.crm.seeds import REFUSAL_STATUS

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "interaction_statuses",
        sa.Column("is_refusal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="crm",
    )
    op.create_index(
        "uq_interaction_statuses_one_refusal",
        "interaction_statuses",
        ["is_refusal"],
        unique=True,
        schema="crm",
        postgresql_where=sa.text("is_refusal"),
    )
    # The status REFUSAL_STATUS defaulted to; an installation that configured another one
    # marks it in the reference book.
    op.execute(
        sa.text(
            "UPDATE crm.interaction_statuses SET is_refusal = true WHERE name = :name"
        ).bindparams(name=REFUSAL_STATUS)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("uq_interaction_statuses_one_refusal", "interaction_statuses", schema="crm")
    op.drop_column("interaction_statuses", "is_refusal", schema="crm")
