"""replan jobs: a status's new call rule re-plans its subjects in batches that each commit,
from a cursor kept here; plans are read in id order within a status

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 10:00:00.000000

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
    op.create_table(
        "replan_jobs",
        sa.Column("status_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("after_plan_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("replanned", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_replan_jobs")),
        schema="scheduler",
    )
    op.create_index(
        "ix_replan_jobs_unfinished",
        "replan_jobs",
        ["status_id"],
        unique=False,
        schema="scheduler",
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    # A batch reads the next plans of one status after the cursor: (status_id, id) serves it
    # and every lookup by status alone.
    op.create_index(
        "ix_call_plans_status_id_id", "call_plans", ["status_id", "id"], schema="scheduler"
    )
    op.drop_index("ix_call_plans_status_id", table_name="call_plans", schema="scheduler")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_call_plans_status_id", "call_plans", ["status_id"], schema="scheduler")
    op.drop_index("ix_call_plans_status_id_id", table_name="call_plans", schema="scheduler")
    op.drop_index("ix_replan_jobs_unfinished", table_name="replan_jobs", schema="scheduler")
    op.drop_table("replan_jobs", schema="scheduler")
