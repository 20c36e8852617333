"""web workspace: employees' language and password, invitations to set it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 08:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "employees",
        sa.Column("locale", sa.String(length=8), server_default="en", nullable=False),
        schema="crm",
    )
    op.create_check_constraint(
        op.f("ck_employees_locale"), "employees", "locale IN ('en','ru','uk')", schema="crm"
    )
    op.add_column(
        "employees", sa.Column("password_hash", sa.String(length=200), nullable=True), schema="crm"
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["crm.employees.id"],
            name=op.f("fk_invitations_created_by_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["crm.employees.id"], name=op.f("fk_invitations_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_invitations_employee_id"), "invitations", ["employee_id"], schema="crm"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_employee_id"), table_name="invitations", schema="crm")
    op.drop_table("invitations", schema="crm")
    op.drop_column("employees", "password_hash", schema="crm")
    op.drop_constraint(op.f("ck_employees_locale"), "employees", schema="crm")
    op.drop_column("employees", "locale", schema="crm")
