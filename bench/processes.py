"""Servers of the benchmarks (gunicorn on a port of its own) and the CPU time of processes, read from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

from bench.common import PROJECT_DIR

T = TypeVar("T")
TICKS = os.sysconf("SC_CLK_TCK")
START_WITHIN = 90.0  # how long a server may take to start on a slow, shared machine


def free_port() -> int:
    """Return a port free now, for a server that must bind its own (nginx); Gunicorn below inherits its socket."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WaitTimedOut(RuntimeError):
    """What a benchmark waited for did not happen in time."""


def wait_until(
    condition: Callable[[], T],
    what: str,
    within: float = START_WITHIN,
    every: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
    describe: Callable[[], str] | None = None,
) -> T:
    """Call condition until it returns something truthy, and return that; raise WaitTimedOut after `within` s.

    The benchmarks' copy of tests/waiting.py (bench does not import the tests): exceptions of the
    `ignoring` types count as "not yet", any other ends the wait at once.
    """
    deadline = time.monotonic() + within
    last: object = None
    while True:
        try:
            last = condition()
        except ignoring as error:
            last = error
        else:
            if last:
                return last  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            detail = f"\n{describe()}" if describe else ""
            cause = last if isinstance(last, BaseException) else None
            raise WaitTimedOut(f"waited {within:g} s for {what}; last seen: {last!r}{detail}") from cause
        time.sleep(every)


class Gunicorn:
    """An app under the project's gunicorn.conf.py on 127.0.0.1, its log in a temporary file.

    The benchmark binds the port and gunicorn inherits the socket (`--bind fd://N`): no other process
    can take the port between the two. gunicorn runs on this interpreter (`-m gunicorn`).
    """

    def __init__(self, app: str, environment: dict[str, str]):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"fd://{listener.fileno()}",
            app,
        ]
        env = {**os.environ, "PUBLIC_BASE_URL": self.url, **environment}
        with listener, self.log_path.open("wb") as log:  # gunicorn keeps its own copy of the socket
            self.popen = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),)
            )

    def wait_until_answering(self, path: str = "/voice/status") -> None:
        """Wait until the app answers (any status); fail at once if gunicorn exits."""

        def answers() -> bool:
            if self.popen.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.popen.returncode}: see {self.log_path}")
            requests.post(self.url + path, timeout=10)
            return True

        # Starting, it refuses connections, or accepts one and answers late on a busy machine.
        wait_until(
            answers,
            f"gunicorn on {self.url} to answer (log: {self.log_path})",
            ignoring=(requests.ConnectionError, requests.Timeout),
        )

    def workers(self) -> list[int]:
        return children(self.popen.pid)

    def stop(self, keep_log: bool = False) -> None:
        """Stop the server; its log is removed unless asked to keep it (a failed run points to it)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if not keep_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.stop(keep_log=error is not None)


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # the fields after the command name, from field 3 (state)


def children(parent: int) -> list[int]:
    """Return the pids whose parent is parent."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def named(command: str) -> list[int]:
    """Return the pids of the processes whose command name is command (e.g. postgres)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == command:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Return the user+system CPU seconds of each live process."""
    seconds = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def rss_mib(pid: int) -> float:
    """Return the resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class CpuMeter:
    """The CPU seconds some processes spend between start() and stop() (processes started since count whole)."""

    def __init__(self, find_pids):
        self.find_pids = find_pids
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = cpu_seconds(self.find_pids())

    def stop(self) -> float:
        after = cpu_seconds(self.find_pids())
        return sum(seconds - self.before.get(pid, 0.0) for pid, seconds in after.items())
