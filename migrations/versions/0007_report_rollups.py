"""Report rollups: each settled call's numbers in one narrow row, so the supervisors' reports stay fast.

`call_outcomes` holds one row per call started before `report_rollups.settled_before` (the reports fill it as
calls settle); calls are indexed by their start, and registrations by the call that completed them.

Revision ID: 0007_report_rollups
Revises: 0006_agent_roles
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_report_rollups"
down_revision = "0006_agent_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by the old create_all from today's models already has these (0001 adopts such).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "call_outcomes" not in existing:
        _create_call_outcomes()
    if "report_rollups" not in existing:
        op.create_table(
            "report_rollups",
            sa.Column("name", sa.String(length=40), primary_key=True),
            sa.Column("settled_before", sa.DateTime(), nullable=False),
        )
    op.create_index("ix_call_outcomes_started_at", "call_outcomes", ["started_at"], if_not_exists=True)
    op.create_index("ix_call_sessions_started_at", "call_sessions", ["started_at"], if_not_exists=True)
    op.create_index("ix_registrations_completed_by_call", "registrations", ["completed_by_call"], if_not_exists=True)


def _create_call_outcomes() -> None:
    op.create_table(
        "call_outcomes",
        sa.Column("call_session_id", sa.Integer(), sa.ForeignKey("call_sessions.id"), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(length=4), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("locked_out", sa.Boolean(), nullable=False),
        sa.Column("transfer_reason", sa.String(length=40), nullable=True),
        sa.Column("end_state", sa.String(length=100), nullable=True),
        sa.Column("end_kind", sa.String(length=20), nullable=True),
    )


def downgrade() -> None:
    op.drop_index("ix_registrations_completed_by_call", table_name="registrations")
    op.drop_index("ix_call_sessions_started_at", table_name="call_sessions")
    op.drop_table("report_rollups")
    op.drop_index("ix_call_outcomes_started_at", table_name="call_outcomes")
    op.drop_table("call_outcomes")
