"""Throwaway PostgreSQL databases for the tests, or a skip that says why.

`python -m tests.postgres` tells whether the server of TEST_POSTGRES_URL can be reached (exit 0),
or prints why not (exit 1): scripts/test asks it before running the suite on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# The PostgreSQL server of this project's machines (trust auth); TEST_POSTGRES_URL points elsewhere.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Unavailable(Exception):
    """The PostgreSQL server of TEST_POSTGRES_URL is switched off or unreachable."""


def server_url() -> str:
    """Return the URL of the test server's admin database, or raise Unavailable when switched off."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not url:
        raise Unavailable("TEST_POSTGRES_URL is empty: PostgreSQL tests are switched off")
    return url


def _admin(statement: str) -> None:
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(statement)
    except OperationalError as error:
        raise Unavailable(f"PostgreSQL of TEST_POSTGRES_URL unreachable: {str(error.orig).splitlines()[0]}") from None
    finally:
        admin.dispose()


def create_database(template: str | None = None) -> str:
    """Create a database (a copy of template, if given) on the test server and return its URL."""
    name = "ivr_test_" + secrets.token_hex(4)
    _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by create_database, closing its connections."""
    _admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """Yield the URL of a throwaway database on TEST_POSTGRES_URL's server (skip without one)."""
    try:
        url = create_database(template)
    except Unavailable as reason:
        pytest.skip(str(reason))
    try:
        yield url
    finally:
        drop_database(url)


if __name__ == "__main__":
    try:
        _admin("SELECT 1")
    except Unavailable as reason:
        print(reason)
        sys.exit(1)
