"""CLI: db (the store's schema migrations)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from ivr.store.schema import current_revisions
from ivr.web.extension import current_runtime

db = AppGroup("db", help="Migrate the store's schema (every process also does it when it starts).")


@db.command("upgrade")
def upgrade_command() -> None:
    """Bring the database of DATABASE_URL to the latest migration."""
    store = current_runtime().store
    try:
        store.upgrade_schema()
        with store.engine.connect() as connection:
            revisions = current_revisions(connection)
    except OperationalError as error:
        raise click.ClickException(f"database unreachable: {(str(error.orig).splitlines() or ['?'])[0]}") from error
    click.echo(f"schema at revision {', '.join(sorted(revisions))}")
