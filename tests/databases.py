"""The store of each test: a copy of a database migrated once per session, on SQLite or PostgreSQL.

TEST_DATABASE=postgresql runs the suite on PostgreSQL (a throwaway database per test, copied from
a migrated template); the default is a SQLite file per test, copied from a migrated template file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from ivr.store.db import Store
from tests import postgres

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise ValueError(f"TEST_DATABASE must be 'sqlite' or 'postgresql', not {BACKEND!r}")


def migrated(url: str) -> str:
    """Bring a database to the latest migration and close every connection to it."""
    store = Store(url)
    try:
        store.upgrade_schema()
    finally:
        store.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Return a migrated database to copy: a SQLite file's path, or a PostgreSQL database's name."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "ivr.sqlite3"
        migrated(f"sqlite:///{path}")
        yield path
        return
    try:
        url = postgres.create_database()
    except postgres.Unavailable as reason:
        pytest.skip(f"TEST_DATABASE=postgresql: {reason}")
    try:
        migrated(url)
        yield make_url(url).database
    finally:
        postgres.drop_database(url)


@pytest.fixture
def store_url(migrated_template, tmp_path):
    """Return the URL of a migrated store of this test's own."""
    if BACKEND == "sqlite":
        path = tmp_path / "ivr.sqlite3"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    url = postgres.create_database(template=migrated_template)
    try:
        yield url
    finally:
        postgres.drop_database(url)


def stored_bytes(store: Store) -> dict[str, bytes]:
    """Return what a store holds, to look for secrets in: SQLite's files, or PostgreSQL's rows as text."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as connection:
            rows = {
                table: connection.exec_driver_sql(f"SELECT t::text FROM {table} AS t").scalars().all()
                for table in inspect(connection).get_table_names()
            }
        return {table: "\n".join(texts).encode() for table, texts in rows.items() if texts}
    path = Path(make_url(store.url).database)
    files = [path] + [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal", "-shm")]
    return {f.name: f.read_bytes() for f in files if f.exists()}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def each_empty_database(request, tmp_path):
    """The URL of a database with no table at all: a SQLite file, then a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    else:
        with postgres.postgres_database() as url:
            yield url
