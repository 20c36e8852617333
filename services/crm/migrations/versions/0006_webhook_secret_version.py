"""webhook secret version of each employee

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "employees",
        sa.Column("webhook_secret_version", sa.Integer(), server_default="0", nullable=False),
        schema="crm",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("employees", "webhook_secret_version", schema="crm")
