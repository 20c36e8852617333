"""managers' report: the open tasks by assignee and due time, for the tasks overdue now

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 19:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_tasks_open_assignee_due",
        "tasks",
        ["assignee_id", "due_at"],
        unique=False,
        schema="crm",
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_tasks_open_assignee_due", table_name="tasks", schema="crm")
