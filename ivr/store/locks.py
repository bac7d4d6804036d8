"""Named locks held until the transaction ends, so that every process takes its turn."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def take_lock(db: Session | Connection, name: str) -> None:
    """Hold a named lock until the transaction ends, so that every process takes its turn.

    PostgreSQL takes an advisory lock; on SQLite every transaction already holds the writer lock.
    """
    connection = db.connection() if isinstance(db, Session) else db
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        connection.execute(_ADVISORY_LOCK, {"key": key})
