"""The production stack, scripts/serve: nginx buffering every request in front of gunicorn."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
from pathlib import Path

import pytest
import requests

from bench.slow_clients import SlowClients
from ivr.factory import create_app
from ivr.registration.importer import import_liaison_list
from ivr.simulator.caller import SimulatedCaller
from ivr.web.extension import runtime_of
from tests import postgres
from tests.conftest import ACCOUNT_SID, AMINA, AUTH_TOKEN, PEOPLE_CSV
from tests.databases import BACKEND
from tests.waiting import wait_until

from .conftest import complete
from .servers import PROJECT_DIR, AlternatingHttpTransport, Process

NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed: scripts/setup installs it with apt-get when run as root"
)

SLOW_CLIENTS = 200
# Far longer than a step takes, far shorter than "stopped for as long as the slow clients last":
# a bound on the wait, not a measure of speed. bench/slow_clients.py measures, and shows gunicorn
# alone answering nothing meanwhile: a test of that would depend on how the kernel spreads the slow
# connections over gunicorn's processes (one left with a free thread answers), so it is not one.
ANSWER_WITHIN = 30.0
SECRET_KEY = "test-secret-" + "k" * 52


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A throwaway store of the test backend, left for the server to migrate as it starts."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('serve') / 'ivr.sqlite3'}"
        return
    try:
        url = postgres.create_database()
    except postgres.Unavailable as reason:
        pytest.skip(f"TEST_DATABASE=postgresql: {reason}")
    try:
        yield url
    finally:
        postgres.drop_database(url)


@pytest.fixture(scope="module")
def environment(database_url):
    return {
        "DATABASE_URL": database_url,
        "IVR_SECRET_KEY": SECRET_KEY,
        "IVR_SMS_SENDER": "off",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": "",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    }


class Front(Process):
    """scripts/serve on 127.0.0.1 and a port of its own."""

    def __init__(self, environment: dict[str, str], log_path: Path):
        with socket.socket() as probe:  # nginx binds the port itself: pick one that is free now
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        overrides = {"PORT": str(self.port), "HOST": "127.0.0.1", "TMPDIR": str(log_path.parent)}
        environment = {
            **{name: value for name, value in os.environ.items() if name != "WEB_CONCURRENCY"},
            **environment,
            **overrides,
        }
        super().__init__([str(PROJECT_DIR / "scripts" / "serve")], environment, log_path)

    def wait_until_answering(self) -> None:
        def answering() -> bool:
            if self.popen.poll() is not None:
                raise RuntimeError(f"scripts/serve exited with {self.popen.returncode}:\n{self.log()}")
            return requests.get(self.url + "/health", timeout=10).status_code == 200

        wait_until(
            answering, f"{self.url}/health to answer 200", ignoring=(requests.RequestException,), describe=self.log
        )

    def processes(self) -> dict[int, str]:
        """Return every process below this one (pid: command line)."""
        return descendants(self.popen.pid)


def descendants(root: int) -> dict[int, str]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _read(entry / "stat")):
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = {}, list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found[pid] = _read(Path(f"/proc/{pid}/cmdline")).replace("\0", " ").strip()
        pending += children.get(pid, [])
    return found


def alive(pid: int) -> bool:
    stat = _read(Path(f"/proc/{pid}/stat"))
    return bool(stat) and stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


@pytest.fixture(scope="module")
def people(environment):
    """The test people, imported by an operator's app into the store (which it migrates)."""
    app = create_app({"TESTING": True, **environment})
    try:
        report = import_liaison_list(runtime_of(app), PEOPLE_CSV.splitlines(keepends=True))
        assert report.errors == [] and report.imported == 4
    finally:
        runtime_of(app).store.dispose()


@pytest.fixture(scope="module")
def stack(environment, people, tmp_path_factory):
    """scripts/serve, started once for the tests of this file that do not stop it."""
    front = Front(environment, tmp_path_factory.mktemp("stack") / "serve.log")
    try:
        front.wait_until_answering()
        yield front
    finally:
        status = front.stop()
    assert status == 0, front.log()


def caller_of(front: Front) -> SimulatedCaller:
    return SimulatedCaller.over_http(
        front.url, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, from_number=AMINA.mobile, timeout=ANSWER_WITHIN
    )


def test_a_whole_call_is_answered_while_two_hundred_clients_trickle_their_headers(stack):
    with SlowClients("127.0.0.1", stack.port, SLOW_CLIENTS) as slow:
        wait_until(lambda: slow.open >= SLOW_CLIENTS, f"{SLOW_CLIENTS} slow connections to be open")
        turn = complete(caller_of(stack), AMINA)
        held = slow.open
    assert "Votre numéro d'immatriculation est" in turn.heard_text()
    assert held >= SLOW_CLIENTS


def test_a_body_above_the_limit_is_refused_by_the_proxy_with_413(stack):
    answer = requests.post(
        stack.url + "/voice/incoming",
        data=b"x" * (1024 * 1024),
        timeout=ANSWER_WITHIN,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "nginx" in answer.text  # nginx's own page: gunicorn never saw the body


def test_the_proxy_passes_the_scheme_and_host_that_webhook_signatures_cover(stack):
    https_base = stack.url.replace("http://", "https://")
    proxied = AlternatingHttpTransport(https_base, [stack.url], extra_headers={"X-Forwarded-Proto": "https"})
    caller = SimulatedCaller(
        proxied, base_url=https_base, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, from_number=AMINA.mobile
    )
    assert caller.dial().gather is not None  # signed for https://127.0.0.1:PORT, checked as such
    direct = SimulatedCaller(
        AlternatingHttpTransport(https_base, [stack.url]),
        base_url=https_base,
        auth_token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        from_number=AMINA.mobile,
    )
    assert direct.post("/voice/incoming", direct.call_params()).status_code == 403


def test_the_access_log_shows_paths_without_query_strings(stack):
    caller = caller_of(stack)
    caller.dial()
    caller.press("2")  # a step: POST /voice/step?seq=...
    log = stack.log()
    assert re.search(r'^127\.0\.0\.1 "POST /voice/step" 200 \d+ [\d.]+s$', log, re.MULTILINE), log  # nginx's
    assert "seq=" not in log


@pytest.mark.skipif(BACKEND != "sqlite", reason="one gunicorn process is SQLite's limit; PostgreSQL runs one per CPU")
def test_on_sqlite_the_stack_runs_one_gunicorn_process(stack):
    workers = [command for command in stack.processes().values() if "gunicorn" in command]
    assert len(workers) == 2, workers  # the arbiter and its one worker


def test_sigterm_stops_nginx_and_gunicorn_and_leaves_no_process_behind(environment, people, tmp_path):
    front = Front(environment, tmp_path / "serve.log")
    try:
        front.wait_until_answering()
        started = front.processes()
        assert any("nginx: master" in command for command in started.values()), started
        assert any("gunicorn" in command for command in started.values()), started
        front.popen.send_signal(signal.SIGTERM)
        status = front.popen.wait(60)
    finally:
        front.stop()
    assert status == 0, front.log()
    assert "serve: stopped" in front.log()
    wait_until(
        lambda: not any(alive(pid) for pid in started),
        "every process of the stack to end",
        within=10,
        describe=lambda: str({pid: started[pid] for pid in started if alive(pid)}),
    )
    assert not list(tmp_path.glob("ivr-serve.*"))  # its runtime directory is removed
