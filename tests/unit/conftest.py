"""Fixtures shared by the unit tests."""

import shutil
from datetime import datetime

import pytest

from ivr.flows.loader import FLOWS_DIR
from ivr.runtime import Runtime
from ivr.store.db import Store
from tests.fakes import reference_data


@pytest.fixture
def runtime(store_url):
    """A runtime over an empty store of the test backend, its clock fixed on 15 January 2024, 10:00."""
    store = Store(store_url)
    runtime = Runtime(
        settings={}, store=store, secret=b"k" * 32, **reference_data(), clock=lambda: datetime(2024, 1, 15, 10, 0)
    )
    yield runtime
    store.dispose()


@pytest.fixture
def flows(tmp_path):
    """A copy of the shipped flows, to edit (tests/flow_files.py)."""
    return shutil.copytree(FLOWS_DIR, tmp_path / "flows")
