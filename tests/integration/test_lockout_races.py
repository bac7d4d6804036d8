"""Failed checks made at once in several processes count exactly: the fifth always locks the CIN."""

from datetime import datetime

import pytest
from sqlalchemy import select

from ivr.registration import lockouts
from ivr.store.db import Store
from ivr.store.models import Lockout
from tests.concurrency import all_at_once
from tests.databases import migrated

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def database_url(each_empty_database):
    """A migrated database, SQLite then PostgreSQL."""
    return migrated(each_empty_database)


def fail_at_once(database_url: str, count: int, cin_key: str) -> list[bool]:
    """Record `count` failed checks for one CIN, each from its own process and number, all at once."""
    stores = [Store(database_url) for _ in range(count)]

    def fail(i, store):
        with store.transaction() as db:
            return lockouts.record_failure(db, cin_key, f"+2126400000{i:02d}", f"CA{i}", NOW)

    try:
        return all_at_once([lambda i=i, store=store: fail(i, store) for i, store in enumerate(stores)])
    finally:
        for store in stores:
            store.dispose()


def test_five_failed_checks_for_one_cin_at_once_in_five_processes_lock_it_exactly_once(database_url):
    results = fail_at_once(database_url, lockouts.LIMITS["cin"], "cin-digest")
    store = Store(database_url)
    try:
        with store.transaction() as db:
            locks = db.scalars(select(Lockout).where(Lockout.kind == "cin")).all()
            assert lockouts.is_locked(db, "cin", "cin-digest", NOW)
    finally:
        store.dispose()
    assert len(locks) == 1 and sorted(results) == [False] * 4 + [True]
