"""call plans: one manager's live plans in due order, read from the index alone

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 13:30:00

The calls panel of one manager (services/crm/handlers/calls.py) counts and pages the live
(planned or due) plans they are responsible for. ix_call_plans_responsible held every plan,
removed ones too, and not the tie-breaker of the panel's order: among a million plans the
count visited a table page per plan and a page sorted them all. The partial index holds the
live plans in the panel's order (due time, plan id): the count reads the index only and a
page stops after its rows. Nothing else reads call plans by manager, so it replaces the old.

Built CONCURRENTLY, outside the migration's transaction: the read model takes the
scheduler's CallPlanned upserts while the index is built.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_call_plans_live_responsible",
            "call_plans",
            ["responsible_id", "next_call_at", "plan_id"],
            unique=False,
            schema="crm",
            postgresql_where="state IN ('planned', 'due')",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(
            "ix_call_plans_responsible",
            table_name="call_plans",
            schema="crm",
            postgresql_concurrently=True,
            if_exists=True,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_call_plans_responsible",
            "call_plans",
            ["responsible_id", "next_call_at"],
            unique=False,
            schema="crm",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(
            "ix_call_plans_live_responsible",
            table_name="call_plans",
            schema="crm",
            postgresql_concurrently=True,
            if_exists=True,
        )
