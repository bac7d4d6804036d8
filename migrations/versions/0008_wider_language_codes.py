"""Wider language codes: a language recorded by the studio alone may have a three-letter code (zgh, Tamazight).

Calls, registrations and the reports' outcomes keep the caller's language in VARCHAR(12) (ivr/speech/catalog.py
LANGUAGE_CODE: up to three letters, a dash and a variant of eight). PostgreSQL widens a VARCHAR in its catalog
alone. SQLite never enforces a VARCHAR's length, and rebuilding these tables would break their foreign keys
inside the migration's transaction, so only the declared type is rewritten, as SQLite documents for a change that
leaves the stored rows as they are (https://www.sqlite.org/lang_altertable.html, "other kinds of changes").

Revision ID: 0008_wider_language_codes
Revises: 0007_report_rollups
Create Date: 2026-12-02
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0008_wider_language_codes"
down_revision = "0007_report_rollups"
branch_labels = None
depends_on = None

WIDTH = 12
COLUMNS = {"call_sessions": 2, "registrations": 2, "call_outcomes": 4}  # table: the width before


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _declare_sqlite(bind, WIDTH)
        return
    for table, before in COLUMNS.items():
        op.alter_column(table, "language", type_=sa.String(WIDTH), existing_type=sa.String(before))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        raise NotImplementedError("SQLite keeps the wider declaration: it never enforced the width")
    for table, before in COLUMNS.items():
        op.alter_column(table, "language", type_=sa.String(before), existing_type=sa.String(WIDTH))


def _declare_sqlite(bind: sa.Connection, width: int) -> None:
    """Rewrite the declared type of each table's language column in SQLite's schema, rows untouched."""
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        for table in COLUMNS:
            sql = bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar_one()
            wider = re.sub(r'(\blanguage"?\s+)VARCHAR\(\d+\)', rf"\g<1>VARCHAR({width})", sql)
            bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (wider, table))
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
