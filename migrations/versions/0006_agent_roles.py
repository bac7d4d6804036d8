"""Agent roles: each account is an agent's or a supervisor's (supervisors also see the campaign's pages).

Every existing account stays an agent: the column is added NOT NULL with the server default "agent", which fills
the rows already there.

Revision ID: 0006_agent_roles
Revises: 0005_call_references
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_agent_roles"
down_revision = "0005_call_references"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by the old create_all from today's models already has the column.
    if "role" not in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("agents")}:
        with op.batch_alter_table("agents") as table:
            table.add_column(sa.Column("role", sa.String(length=20), nullable=False, server_default="agent"))


def downgrade() -> None:
    with op.batch_alter_table("agents") as table:
        table.drop_column("role")
