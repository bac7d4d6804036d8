"""Initial schema: the tables of ivr/store/models.py as the app created them before migrations.

Every table and index is created only if missing, so that a database made by the old
create_all is adopted as it is (its rows kept) and then follows the later revisions.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cin_digits_key", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_failed_checks_cin_at", "failed_checks", ["cin_digits_key", "at"], if_not_exists=True)
    op.create_index("ix_failed_checks_from_at", "failed_checks", ["from_number", "at"], if_not_exists=True)
    op.create_table(
        "lockouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_lockouts_kind_key", "lockouts", ["kind", "key"], if_not_exists=True)
    op.create_table(
        "number_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("next_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "pre_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cin_key", sa.String(length=64), nullable=False),
        sa.Column("cin_digits_key", sa.String(length=64), nullable=False),
        sa.Column("birth_date_key", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cin_key"),
        if_not_exists=True,
    )
    op.create_index("ix_pre_registrations_cin_digits_key", "pre_registrations", ["cin_digits_key"], if_not_exists=True)
    op.create_table(
        "call_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=True),
        sa.Column("transfer_reason", sa.String(length=40), nullable=True),
        sa.Column("transfer_state", sa.String(length=100), nullable=True),
        sa.Column("transferred_at", sa.DateTime(), nullable=True),
        sa.Column("last_request_key", sa.String(length=40), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_sid"),
        if_not_exists=True,
    )
    op.create_index("ix_call_sessions_from_number", "call_sessions", ["from_number"], if_not_exists=True)
    op.create_index("ix_call_sessions_from_started", "call_sessions", ["from_number", "started_at"], if_not_exists=True)
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("declared_category", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_disputes_pre_registration_id", "disputes", ["pre_registration_id"], if_not_exists=True)
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=9), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("completed_by_call", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("pre_registration_id"),
        if_not_exists=True,
    )
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_session_id"],
            ["call_sessions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_call_events_call_session_id", "call_events", ["call_session_id"], if_not_exists=True)
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=20), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("message_sid"),
        if_not_exists=True,
    )
    op.create_index("ix_sms_outbox_registration_id", "sms_outbox", ["registration_id"], if_not_exists=True)
    op.create_index("ix_sms_outbox_status", "sms_outbox", ["status"], if_not_exists=True)
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["sms_outbox.id"],
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_credentials_registration_id", "credentials", ["registration_id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_table("credentials")
    op.drop_table("sms_outbox")
    op.drop_table("call_events")
    op.drop_table("registrations")
    op.drop_table("disputes")
    op.drop_table("call_sessions")
    op.drop_table("pre_registrations")
    op.drop_table("number_counters")
    op.drop_table("lockouts")
    op.drop_table("failed_checks")
