"""Database engine and transactions over the registration store."""

from __future__ import annotations

import logging
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ivr.store.schema import upgrade

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# Seconds to wait for a PostgreSQL connection: a webhook must answer well within Twilio's 15 s.
CONNECT_TIMEOUT = 5
# Milliseconds a PostgreSQL statement may run, or wait for a lock, before it is cancelled: past
# Twilio's 15 s the caller hears Twilio's error instead of our apology. Migrations lift it.
STATEMENT_TIMEOUT_MS = 8000
# Seconds a SQLite transaction waits for the writer lock, for the same reason.
SQLITE_BUSY_TIMEOUT = 10
# Seconds between two tries to reach a database that was unreachable when the process started.
RETRY_SCHEMA_AFTER = 5.0


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and writer-serialising transactions.

    Its errors and logs never show statement parameters: they hold calling numbers and digests.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args: dict[str, object] = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        if "options" not in parsed.query:
            connect_args["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
        event.listen(engine, "checkout", _replace_if_closed_by_server)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below open transactions
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read-then-write transaction must hold the write lock from the start, or two
        # webhooks of one call could both read the same step (SQLite has no SELECT FOR UPDATE).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _replace_if_closed_by_server(dbapi_connection: psycopg.Connection[Any], _record: object, _proxy: object) -> None:
    """Refuse a pooled connection the server has closed (restart, network cut), so the pool opens a new one.

    An idle connection has nothing to read unless its server hung up: one poll of its socket tells,
    where a pre-ping would cost a round trip at the start of every webhook.
    """
    if dbapi_connection.closed:
        raise DisconnectionError("the pooled connection is closed")
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed the pooled connection")


def _use_wal(cursor: sqlite3.Cursor, within: float = 30.0) -> None:
    """Switch a SQLite file to WAL (once: it stays so).

    The switch answers "database is locked" at once, without waiting, while another process
    writes to a new file (several server processes starting together): try again a while.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """The registration store: one engine and its transactions."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.schema_ready = False
        self._next_schema_try = 0.0

    def upgrade_schema(self) -> None:
        """Bring the schema to the latest migration (safe when several processes start at once)."""
        upgrade(self.engine)
        self.schema_ready = True

    def upgrade_schema_when_reachable(self) -> bool:
        """Upgrade the schema unless the database server is unreachable (then logged); tell if it is ready.

        A process that starts while PostgreSQL is down still answers (an apology, 503 on /health)
        and tries again at most every RETRY_SCHEMA_AFTER seconds. A SQLite file that cannot be
        opened is a fault of the setup, raised at once.
        """
        if self.schema_ready or time.monotonic() < self._next_schema_try:
            return self.schema_ready
        try:
            self.upgrade_schema()
        except OperationalError as error:
            if self.engine.dialect.name == "sqlite":
                raise
            self._next_schema_try = time.monotonic() + RETRY_SCHEMA_AFTER
            log.error("database unreachable, schema not checked yet (%s)", (str(error.orig).splitlines() or ["?"])[0])
        return self.schema_ready

    def ping(self) -> None:
        """Run a trivial query; raise when the database cannot answer."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open a session in a transaction, committed on success and rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Open a connection in a transaction (SQLAlchemy Core, for the call steps' hot path), committed on
        success and rolled back on error."""
        with self.engine.begin() as connection:
            yield connection

    def session_on(self, connection: Connection) -> Session:
        """Return an ORM session that works inside a connection's transaction (and never ends it)."""
        return self._sessions(bind=connection)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
