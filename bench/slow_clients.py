"""Slow clients: how fast ordinary calls are answered while many connections trickle their headers.

Run with `scripts/bench slow_clients` (writes docs/benchmarks.md) or `python -m bench.slow_clients [--quick]`:
bare gunicorn (gunicorn.conf.py) against scripts/serve (nginx in front of the same gunicorn), on a throwaway SQLite
store.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.common import PROJECT_DIR, Section, machine
from bench.processes import free_port, wait_until
from bench.steps import SECRET
from ivr.simulator.caller import SimulatedCaller, WebhookError

SLOW_CLIENTS = 200
PROBES = 20
# Twilio gives up on a webhook after 15 s: an answer later than that is no answer for a caller.
TWILIO_GIVES_UP = 15.0
# How long the calls under attack are spread over: longer than nginx's client_header_timeout (10 s),
# so that the slow clients it drops are replaced and the attack goes on.
ATTACK_SECONDS = 30.0
# Issue 12: ordinary calls are answered "within a second or two" while the slow clients last.
TARGET_SECONDS = 2.0
# The slow clients send one byte of header this often: far slower than any real client.
TRICKLE_EVERY = 0.5


class SlowClients:
    """Connections that send a request's header one byte at a time and never finish it.

    A connection the server closes (nginx: after client_header_timeout) is opened again, so that
    `count` of them stay open for as long as the block runs, as an attacker would keep them.
    """

    def __init__(self, host: str, port: int, count: int, every: float = TRICKLE_EVERY):
        self.address, self.count, self.every = (host, port), count, every
        self.opened = 0  # connections opened, reopened ones included
        self._sockets: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)

    @property
    def open(self) -> int:
        return len(self._sockets)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(f"POST /voice/incoming HTTP/1.1\r\nHost: {self.address[0]}\r\nX-Slow: ".encode())
        except OSError:
            return None
        self.opened += 1
        return sock

    def _trickle(self) -> None:
        while not self._stopping.is_set():
            kept = []
            for sock in self._sockets:
                try:
                    sock.send(b"a")
                    kept.append(sock)
                except OSError:  # the server hung up: open another in its place
                    sock.close()
            while len(kept) < self.count and not self._stopping.is_set():
                sock = self._connect()
                if sock is None:
                    break
                kept.append(sock)
            self._sockets = kept
            self._stopping.wait(self.every)


def probe(
    url: str, count: int, every: float = 0.0, timeout: float = TWILIO_GIVES_UP, give_up_after: int = 3
) -> list[float | None]:
    """Place count calls (their first webhook), one every `every` s at most; return each latency, None when unanswered.

    After give_up_after unanswered calls in a row the rest are not tried: the server is stopped.
    """
    latencies: list[float | None] = []
    for i in range(count):
        if i:
            time.sleep(max(0.0, every - (latencies[-1] or every)))
        caller = SimulatedCaller.over_http(url, timeout=timeout, from_number=f"+2126611{i:05d}")
        started = time.perf_counter()
        try:
            answered = caller.dial().status == 200
        except WebhookError:  # no answer within the time-out, or none at all
            answered = False
        latencies.append(time.perf_counter() - started if answered else None)
        if latencies[-give_up_after:] == [None] * give_up_after:
            break
    return latencies


def summary(latencies: list[float | None]) -> str:
    answered = [latency for latency in latencies if latency is not None]
    if not answered:
        return f"0 of {len(latencies)} answered within {TWILIO_GIVES_UP:.0f} s"
    return (
        f"{len(answered)} of {len(latencies)} answered; p50 {statistics.median(answered) * 1000:.0f} ms, "
        f"max {max(answered) * 1000:.0f} ms"
    )


class Front:
    """A server under test, started as a child process with its log in a temporary file."""

    def __init__(self, name: str, command: list[str], port: int, environment: dict[str, str]):
        self.name, self.port, self.url = name, port, f"http://127.0.0.1:{port}"
        self.log_path = Path(tempfile.mkstemp(prefix="bench-slow-clients-", suffix=".log")[1])
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                command, cwd=PROJECT_DIR, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_until_answering(self) -> None:
        """Wait until /health says 200; fail at once if the server exits."""

        def healthy() -> bool:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}: see {self.log_path}")
            return requests.get(self.url + "/health", timeout=10).status_code == 200

        wait_until(
            healthy,
            f"{self.name} on {self.url} to say it is healthy (log: {self.log_path})",
            ignoring=(requests.ConnectionError, requests.Timeout),
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log_path.unlink(missing_ok=True)


def fronts(database_url: str) -> list[tuple[str, list[str], dict[str, str]]]:
    environment = {"DATABASE_URL": database_url, "IVR_SECRET_KEY": SECRET, "IVR_SMS_SENDER": "off"}
    return [
        (
            "bare gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:{port}", "app:app"],
            environment,
        ),
        ("scripts/serve", [str(PROJECT_DIR / "scripts" / "serve")], {**environment, "HOST": "127.0.0.1"}),
    ]


def run(quick: bool) -> Section:
    section = Section(
        "slow_clients",
        f"Slow clients: calls answered while {SLOW_CLIENTS} connections trickle their headers",
        "scripts/bench slow_clients",
    )
    probes = 5 if quick else PROBES
    directory = Path(tempfile.mkdtemp(prefix="bench-slow-clients-"))
    try:
        for name, command, environment in fronts(f"sqlite:///{directory / 'ivr.sqlite3'}"):
            port = free_port()
            command = [part.replace("{port}", str(port)) for part in command]
            print(f"  {name} ...", flush=True)
            front = Front(name, command, port, {**environment, "PORT": str(port)})
            try:
                front.wait_until_answering()
                section.add(f"{name}: calls, no slow client", summary(probe(front.url, probes)))
                with SlowClients("127.0.0.1", port, SLOW_CLIENTS) as slow:
                    wait_until(lambda: slow.open == SLOW_CLIENTS, f"{SLOW_CLIENTS} slow clients to connect")
                    under_attack = probe(front.url, probes, every=ATTACK_SECONDS / probes)
                    held = slow.open
                if name == "scripts/serve":
                    met = None not in under_attack and max(under_attack) <= TARGET_SECONDS
                    section.add(
                        f"{name}: calls, {SLOW_CLIENTS} slow clients",
                        summary(under_attack),
                        f"all answered, max ≤ {TARGET_SECONDS:.0f} s",
                        met,
                    )
                else:
                    section.add(f"{name}: calls, {SLOW_CLIENTS} slow clients", summary(under_attack))
                section.notes.append(
                    f"{name}: {held} slow connections open at the end, {slow.opened} opened "
                    "in all (a connection the server closed was opened again)."
                )
            finally:
                front.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    section.notes += [
        f"Each figure: {probes} calls placed one after another (the signed first webhook, /voice/incoming, over "
        f"HTTP), each given {TWILIO_GIVES_UP:.0f} s (Twilio's limit); after 3 unanswered in a row the rest are "
        f"not tried. Under attack the calls are spread over {ATTACK_SECONDS:.0f} s.",
        f"Slow clients: {SLOW_CLIENTS} connections from one thread, each sending one byte of a never-ending header "
        f"every {TRICKLE_EVERY} s. SQLite store, gunicorn.conf.py's defaults for it (one process, "
        f"GUNICORN_THREADS {os.environ.get('GUNICORN_THREADS') or 'default'}).",
    ]
    return section


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer calls per figure")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    section = run(args.quick)
    print(section.markdown(machine()))


if __name__ == "__main__":
    main()
