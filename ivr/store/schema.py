"""The store's schema: Alembic migrations, applied as a process starts or by `flask db upgrade`."""

from __future__ import annotations

import functools
import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect
from sqlalchemy.engine import Engine

from ivr.settings import PROJECT_DIR
from ivr.store import agent_models  # noqa: F401  (its tables join Base's metadata)
from ivr.store.locks import take_lock
from ivr.store.models import Base

log = logging.getLogger(__name__)

# A table every database made before migrations has (by the old create_all).
PRE_MIGRATION_TABLE = "call_sessions"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return Alembic's configuration; with a connection, the migrations run on it."""
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> set[str]:
    """Return the latest revision(s) this code knows."""
    return set(_scripts().get_heads())


def model_metadata() -> MetaData:
    """Return the tables of every model: the registration store's and the agents'."""
    return Base.metadata


def lift_statement_timeout(connection: Connection) -> None:
    """Let this transaction run as long as it needs: a migration may rewrite a large table."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")


def hold_schema_lock(connection: Connection) -> None:
    """Make concurrent upgrades take turns, until the connection's transaction ends."""
    take_lock(connection, "ivr:schema")


def current_revisions(connection: Connection) -> set[str]:
    """Return the revision(s) a database is at (empty before any migration)."""
    return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest revision, adopting a database created before migrations."""
    with engine.begin() as connection:
        lift_statement_timeout(connection)
        hold_schema_lock(connection)
        current, heads = current_revisions(connection), head_revisions()
        if current == heads:
            return
        if not current <= {script.revision for script in _scripts().walk_revisions()}:
            # A newer release migrated it already (a rolling deploy): leave it to that release.
            log.warning(
                "the database is at revision %s, unknown to this code: schema left as it is", ", ".join(sorted(current))
            )
            return
        if not current and inspect(connection).has_table(PRE_MIGRATION_TABLE):
            log.warning("adopting a database created before migrations: existing tables are kept")
        log.info(
            "upgrading the schema from %s to %s", ", ".join(sorted(current)) or "nothing", ", ".join(sorted(heads))
        )
        command.upgrade(alembic_config(connection), "heads")
