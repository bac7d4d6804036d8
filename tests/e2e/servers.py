"""Real processes for the tests of a deployment: gunicorn servers, SMS workers, a cuttable TCP proxy."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ivr.simulator.transports import HttpTransport, RawResponse

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN = PROJECT_DIR / ".venv" / "bin"
# How long a process may take to start on a slow, shared CI machine (a wait, not an assertion).
START_WITHIN = 90.0


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process of the tests, its output in a log file, stopped with SIGTERM."""

    def __init__(self, command: list[str], environment: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(command, cwd=PROJECT_DIR, env={**os.environ, **environment},
                                      stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self, timeout: float = 60.0) -> int:
        """Ask the process to end (SIGTERM), wait for it, and return its exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()
        finally:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Server(Process):
    """The voice server under gunicorn, with the repository's gunicorn.conf.py, on a port of its own."""

    def __init__(self, environment: dict[str, str], log_path: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}", "app:app"]
        super().__init__(command, {**environment, "WEB_CONCURRENCY": str(workers)}, log_path)

    def wait_until_listening(self) -> None:
        """Wait until /health answers at all (200 or 503); fail with the server's log otherwise."""
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"the server exited with {self.popen.returncode}:\n{self.log()}")
            try:
                requests.get(self.url + "/health", timeout=10)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not listen within {START_WITHIN} s:\n{self.log()}")

    def health(self) -> int:
        return requests.get(self.url + "/health", timeout=30).status_code


def sms_worker(environment: dict[str, str], log_path: Path) -> Process:
    """Start `flask --app app sms worker`."""
    return Process([str(BIN / "flask"), "--app", "app", "sms", "worker", "--interval", "0.2"], environment, log_path)


class AlternatingHttpTransport:
    """Send each request of a call to the next server in turn, as a load balancer may.

    The caller signs for the public base URL all servers check signatures against; the request
    goes to a server's own address.
    """

    def __init__(self, public_base: str, server_urls: list[str], extra_headers: dict[str, str] | None = None):
        self.public_base = public_base.rstrip("/")
        self.server_urls, self._next = server_urls, 0
        self.extra_headers = extra_headers or {}
        self.http = HttpTransport(timeout=60)
        self.sent_to: list[str] = []

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse:
        server = self.server_urls[self._next % len(self.server_urls)]
        self._next += 1
        self.sent_to.append(server)
        target = server + url[len(self.public_base):] if url.startswith(self.public_base) else url
        return self.http.send(method, target, params, {**headers, **self.extra_headers})


class TcpProxy:
    """A TCP relay on 127.0.0.1 in front of a server (PostgreSQL), that the test can cut and restore."""

    def __init__(self, upstream_url: str):
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname or "127.0.0.1", upstream.port or 5432)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def database_url(self, url: str) -> str:
        """Return url with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = (credentials + "@" if credentials else "") + f"127.0.0.1:{self.port}"
        return parts._replace(netloc=netloc).geturl()

    def start(self) -> "TcpProxy":
        """Listen and relay every connection."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        """Close every relayed connection and stop listening: the database is gone."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            _close(listener)  # shutdown() first: it wakes the accept() blocked on it, and stops listening
        for sock in sockets:
            _close(sock)

    restore = start

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    for sock in (client, server):
                        _close(sock)
                    return
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.cut()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
