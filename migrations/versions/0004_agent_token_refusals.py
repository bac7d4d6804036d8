"""Agent token refusals: each refused agent token (never the token), so that an address's tries are limited.

Revision ID: 0004_agent_token_refusals
Revises: 0003_agent_sessions
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = "0004_agent_token_refusals"
down_revision = "0003_agent_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_token_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("route", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_agent_token_refusals_address_at", "agent_token_refusals", ["address", "at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("agent_token_refusals")
