"""The schema comes from the migrations, on SQLite and PostgreSQL alike, and adopts older databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from ivr.store import schema
from ivr.store.db import Store
from ivr.store.models import Base, NumberCounter
from tests.concurrency import all_at_once

PROCESSES = 4


@pytest.fixture
def store(each_empty_database):
    store = Store(each_empty_database)
    yield store
    store.dispose()


def differences(store: Store) -> list:
    """Return what the models describe and the database lacks, or has otherwise (alembic's diff)."""
    with store.engine.connect() as connection:
        return compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), schema.model_metadata()
        )


def revisions(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return schema.current_revisions(connection)


def tables_created_before_migrations():
    """The tables the app made with create_all before migrations: those of ivr/store/models.py."""
    return [mapper.local_table for mapper in Base.registry.mappers if mapper.class_.__module__ == "ivr.store.models"]


def test_the_migrations_make_exactly_the_schema_the_models_describe(store):
    store.upgrade_schema()
    assert differences(store) == []
    assert revisions(store) == schema.head_revisions()


def test_a_database_created_before_migrations_is_adopted_with_its_rows(store):
    Base.metadata.create_all(store.engine, tables=tables_created_before_migrations())
    with store.transaction() as db:
        db.add(NumberCounter(name="registration_number", next_value=10_000_042))
    store.upgrade_schema()
    assert revisions(store) == schema.head_revisions()
    assert differences(store) == []
    with store.transaction() as db:
        assert db.scalar(select(NumberCounter.next_value)) == 10_000_042


def test_an_upgrade_of_an_up_to_date_database_changes_nothing(store):
    store.upgrade_schema()
    tables = set(inspect(store.engine).get_table_names())
    store.upgrade_schema()
    assert set(inspect(store.engine).get_table_names()) == tables and revisions(store) == schema.head_revisions()


def test_processes_starting_at_once_on_an_empty_database_migrate_it_once(each_empty_database):
    stores = [Store(each_empty_database) for _ in range(PROCESSES)]
    try:
        all_at_once([store.upgrade_schema for store in stores])
        assert revisions(stores[0]) == schema.head_revisions() and differences(stores[0]) == []
    finally:
        for store in stores:
            store.dispose()


def test_db_upgrade_brings_the_database_to_the_latest_revision_and_says_so(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"schema at revision {', '.join(sorted(schema.head_revisions()))}"
