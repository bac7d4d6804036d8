"""SQLite serves one process, and the simulator waits longer for an answer than the server may wait."""

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.targets import RemoteTarget
from ivr.simulator.transports import HttpTransport
from ivr.store.db import CONNECT_TIMEOUT, SQLITE_BUSY_TIMEOUT, STATEMENT_TIMEOUT_MS

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
POSTGRES_URL = "postgresql+psycopg://ivr@db.internal/ivr"


def gunicorn_settings(monkeypatch, database_url: str | None, web_concurrency: str | None = None) -> dict:
    """Read gunicorn.conf.py as gunicorn does, in an environment with these settings (and an account's token:
    the demo one is warned about at start, tests/e2e/test_demo_token_warning.py)."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "an-accounts-token")
    for name, value in (("DATABASE_URL", database_url), ("WEB_CONCURRENCY", web_concurrency)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def start(settings: dict) -> list[str]:
    """Run the config's on_starting hook for a server of its worker count; return what it logged as warnings."""
    logger = logging.getLogger("test.gunicorn.error")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=settings["workers"]), log=logger))
    finally:
        logger.removeHandler(handler)
    return records


@pytest.mark.parametrize("database_url", [None, "sqlite:////srv/ivr/ivr.sqlite3"])
def test_gunicorn_runs_one_process_on_sqlite_unless_told_otherwise(monkeypatch, database_url):
    settings = gunicorn_settings(monkeypatch, database_url)
    assert settings["workers"] == 1 and settings["threads"] >= 2
    assert start(settings) == []


def test_gunicorn_runs_a_process_per_cpu_on_postgresql(monkeypatch):
    settings = gunicorn_settings(monkeypatch, POSTGRES_URL)
    assert settings["workers"] >= 2
    assert start(settings) == []


def test_gunicorn_told_to_run_several_processes_on_sqlite_runs_them_and_warns_at_start(monkeypatch):
    settings = gunicorn_settings(monkeypatch, "sqlite:////srv/ivr/ivr.sqlite3", web_concurrency="3")
    assert settings["workers"] == 3
    [warning] = start(settings)
    assert "SQLite" in warning and "gunicorn runs 3" in warning and "WEB_CONCURRENCY=1" in warning
    assert f"{SQLITE_BUSY_TIMEOUT} s" in warning


def test_the_simulator_waits_for_an_answer_longer_than_the_server_may_wait_on_its_database():
    server_waits = [SQLITE_BUSY_TIMEOUT, CONNECT_TIMEOUT + STATEMENT_TIMEOUT_MS / 1000]
    load_mode_caller = RemoteTarget("http://127.0.0.1:9").caller("+212600000001")
    console_caller = SimulatedCaller.over_http("http://127.0.0.1:9")
    for timeout in (HttpTransport().timeout, load_mode_caller.transport.timeout, console_caller.transport.timeout):
        assert all(timeout > wait for wait in server_waits), (timeout, server_waits)
