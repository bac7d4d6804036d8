"""A throwaway PostgreSQL database for the tests that need one, or a skip that says why."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# The PostgreSQL server of this project's machines (trust auth); TEST_POSTGRES_URL points elsewhere.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a throwaway database on TEST_POSTGRES_URL's server and yield its URL (skip without one)."""
    server_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not server_url:
        pytest.skip("TEST_POSTGRES_URL is empty: PostgreSQL tests are switched off")
    name = "ivr_test_" + secrets.token_hex(4)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL of TEST_POSTGRES_URL unreachable: {error.orig}")
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
