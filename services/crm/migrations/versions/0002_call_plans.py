"""call plans read model and relationship stage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:35:06.863952

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "call_plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("status_id", sa.Integer(), nullable=True),
        sa.Column("next_call_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('planned','due','removed')", name=op.f("ck_call_plans_state")
        ),
        sa.CheckConstraint(
            "subject_kind IN ('lead','counterparty')", name=op.f("ck_call_plans_subject_kind")
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_call_plans")),
        schema="crm",
    )
    op.create_index(
        "ix_call_plans_next_call_at", "call_plans", ["next_call_at"], unique=False, schema="crm"
    )
    op.create_index(
        "ix_call_plans_responsible",
        "call_plans",
        ["responsible_id", "next_call_at"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_call_plans_status",
        "call_plans",
        ["status_id", "next_call_at"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_call_plans_subject",
        "call_plans",
        ["subject_kind", "subject_id"],
        unique=False,
        schema="crm",
    )
    op.add_column(
        "counterparties",
        sa.Column("relationship_stage", sa.String(length=16), nullable=True),
        schema="crm",
    )
    op.add_column(
        "leads", sa.Column("relationship_stage", sa.String(length=16), nullable=True), schema="crm"
    )
    # 0001 declared this key with use_alter inside create_table, which Alembic skips:
    # the model always had it, the database did not.
    op.create_foreign_key(
        op.f("fk_leads_counterparty_id_counterparties"),
        "leads",
        "counterparties",
        ["counterparty_id"],
        ["id"],
        source_schema="crm",
        referent_schema="crm",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint(
        op.f("fk_leads_counterparty_id_counterparties"), "leads", schema="crm", type_="foreignkey"
    )
    op.drop_column("leads", "relationship_stage", schema="crm")
    op.drop_column("counterparties", "relationship_stage", schema="crm")
    op.drop_index("ix_call_plans_subject", table_name="call_plans", schema="crm")
    op.drop_index("ix_call_plans_status", table_name="call_plans", schema="crm")
    op.drop_index("ix_call_plans_responsible", table_name="call_plans", schema="crm")
    op.drop_index("ix_call_plans_next_call_at", table_name="call_plans", schema="crm")
    op.drop_table("call_plans", schema="crm")
