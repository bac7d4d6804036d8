"""Call references: each call's short reference stored and indexed, so an agent's lookup reads one index entry.

The references of the calls of the last 7 days (the window in which a reference names a call) are filled in;
older calls keep none.

Revision ID: 0005_call_references
Revises: 0004_agent_token_refusals
Create Date: 2026-12-01
"""

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005_call_references"
down_revision = "0004_agent_token_refusals"
branch_labels = None
depends_on = None

# The algorithm of ivr/callflow/calls.py call_reference, frozen here as this revision applies it.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def reference(call_sid: str) -> str:
    value = int.from_bytes(hashlib.sha256(call_sid.encode()).digest()[:8], "big")
    letters = []
    for _ in range(6):
        value, index = divmod(value, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters[:3]) + "-" + "".join(letters[3:])


def upgrade() -> None:
    # A database made by the old create_all from today's models already has the column (0001 adopts such).
    if "reference" not in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("call_sessions")}:
        with op.batch_alter_table("call_sessions") as table:
            table.add_column(sa.Column("reference", sa.String(length=7), nullable=True))
    op.create_index(
        "ix_call_sessions_reference_started", "call_sessions", ["reference", "started_at"], if_not_exists=True
    )
    calls = sa.table(
        "call_sessions", sa.column("id"), sa.column("call_sid"), sa.column("reference"), sa.column("started_at")
    )
    connection = op.get_bind()
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=7)
    recent = connection.execute(sa.select(calls.c.id, calls.c.call_sid).where(calls.c.started_at >= since)).all()
    for row in recent:
        connection.execute(calls.update().where(calls.c.id == row.id).values(reference=reference(row.call_sid)))


def downgrade() -> None:
    op.drop_index("ix_call_sessions_reference_started", table_name="call_sessions")
    with op.batch_alter_table("call_sessions") as table:
        table.drop_column("reference")
