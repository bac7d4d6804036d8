"""Agent sessions: the agents' console sign-ins, so that sign-out, idle time and a maximum length end them.

Revision ID: 0003_agent_sessions
Revises: 0002_agents
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa

revision = "0003_agent_sessions"
down_revision = "0002_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        if_not_exists=True,
    )
    op.create_index("ix_agent_sessions_agent_id", "agent_sessions", ["agent_id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("agent_sessions")
