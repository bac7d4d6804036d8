"""A database that hangs cannot hold a webhook past Twilio's 15 s: statements and lock waits are cut short."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ivr.store import db as db_module
from ivr.store.db import Store
from ivr.store.schema import lift_statement_timeout
from tests.databases import migrated
from tests.postgres import postgres_database


@pytest.mark.postgres
def test_a_postgresql_statement_that_runs_too_long_is_cancelled(monkeypatch):
    monkeypatch.setattr(db_module, "STATEMENT_TIMEOUT_MS", 200)
    with postgres_database() as url:
        store = Store(url)
        try:
            with pytest.raises(OperationalError, match="statement timeout"), store.transaction() as session:
                session.execute(text("SELECT pg_sleep(30)"))
        finally:
            store.dispose()


@pytest.mark.postgres
def test_migrations_run_without_the_statement_timeout(monkeypatch):
    monkeypatch.setattr(db_module, "STATEMENT_TIMEOUT_MS", 200)
    with postgres_database() as url:
        store = Store(url)
        try:
            with store.engine.begin() as connection:
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "200ms"
                lift_statement_timeout(connection)
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
            store.upgrade_schema()
            assert store.schema_ready
        finally:
            store.dispose()


def test_a_sqlite_transaction_waits_for_the_writer_lock_less_than_twilio_waits_for_an_answer(tmp_path):
    store = Store(migrated(f"sqlite:///{tmp_path / 'ivr.sqlite3'}"))
    try:
        with store.engine.connect() as connection:
            busy_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert 0 < busy_ms < 15000
    finally:
        store.dispose()
