"""calendar from the crm: the CRM's working-calendar snapshot replaces the local settings and
holidays; plans keep the responsible's department

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # The CRM owns the calendar now (crm.working_weeks, crm.holidays) and sends it whole.
    op.drop_table("holidays", schema="scheduler")
    op.drop_table("calendar_settings", schema="scheduler")
    op.create_table(
        "calendar_snapshot",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_calendar_snapshot_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_snapshot")),
        schema="scheduler",
    )
    op.add_column(
        "call_plans",
        sa.Column("department", sa.String(length=200), nullable=True),
        schema="scheduler",
    )
    op.create_index(
        "ix_call_plans_responsible_id",
        "call_plans",
        ["responsible_id"],
        unique=False,
        schema="scheduler",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_call_plans_responsible_id", table_name="call_plans", schema="scheduler")
    op.drop_column("call_plans", "department", schema="scheduler")
    op.drop_table("calendar_snapshot", schema="scheduler")
    op.create_table(
        "calendar_settings",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("workdays", sa.String(length=64), nullable=False),
        sa.Column("work_start", sa.Time(), nullable=False),
        sa.Column("work_end", sa.Time(), nullable=False),
        sa.Column("call_time", sa.Time(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_calendar_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_settings")),
        schema="scheduler",
    )
    op.create_table(
        "holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holidays")),
        schema="scheduler",
    )
