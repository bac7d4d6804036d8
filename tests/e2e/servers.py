"""Real processes for the tests of a deployment: gunicorn servers, SMS workers, a cuttable TCP proxy.

The processes run on the interpreter running the tests (`sys.executable -m gunicorn`), so the tests
run from any virtual environment or none.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ivr.simulator.transports import HttpTransport, RawResponse
from tests.commands import PROJECT_DIR, flask_command
from tests.waiting import wait_until


class ProcessExited(RuntimeError):
    """A child process of the tests ended while the test waited for it."""


def bound_socket(port: int = 0) -> socket.socket:
    """Return a TCP socket bound to 127.0.0.1 (a free port by default), not listening: connections are refused.

    Holding the port bound closes the race of picking a free port and binding it later (another
    process may take it meanwhile).
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class Process:
    """A child process of the tests, its output in a log file, stopped with SIGTERM."""

    def __init__(self, command: list[str], environment: dict[str, str], log_path: Path, pass_fds: tuple[int, ...] = ()):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, **environment},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
        )

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

    def check_running(self) -> None:
        """Raise ProcessExited, with the process's log, if it has ended."""
        if self.popen.poll() is not None:
            name = " ".join(map(str, self.popen.args[1:3]))  # -m gunicorn, -m flask
            raise ProcessExited(f"python {name} exited with {self.popen.returncode}:\n{self.log()}")


class Server(Process):
    """The voice server under gunicorn, with the repository's gunicorn.conf.py, on a port of its own.

    The test binds the port and gunicorn inherits the socket (`--bind fd://N`): no other process
    can take the port between the two, and connections are refused until gunicorn listens.
    """

    def __init__(self, environment: dict[str, str], log_path: Path, workers: int = 2, app: str = "app:app"):
        listener = bound_socket()
        self.port = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
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
        try:
            super().__init__(
                command, {**environment, "WEB_CONCURRENCY": str(workers)}, log_path, pass_fds=(listener.fileno(),)
            )
        finally:
            listener.close()  # gunicorn has its own copy: once it exits, connections are refused

    def wait_until_listening(self) -> None:
        """Wait until /health answers at all (200 or 503); fail at once, with the log, if the server exits."""

        def answers() -> int:
            self.check_running()
            return requests.get(self.url + "/health", timeout=10).status_code

        # A server still starting refuses connections, or accepts one and answers late (busy machine).
        wait_until(
            answers,
            f"the server on {self.url} to answer /health",
            ignoring=(requests.ConnectionError, requests.Timeout),
            describe=self.log,
        )

    def health(self) -> int:
        return requests.get(self.url + "/health", timeout=30).status_code


def sms_worker(environment: dict[str, str], log_path: Path) -> Process:
    """Start `flask --app app sms worker`."""
    return Process(flask_command("sms", "worker", "--interval", "0.2"), environment, log_path)


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
        target = server + url[len(self.public_base) :] if url.startswith(self.public_base) else url
        return self.http.send(method, target, params, {**headers, **self.extra_headers})


class TcpProxy:
    """A TCP relay on 127.0.0.1 in front of a server (PostgreSQL), that the test can cut and restore."""

    def __init__(self, upstream_url: str):
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname or "127.0.0.1", upstream.port or 5432)
        # Bound from the start and between a cut and a restore (refusing connections), so that no
        # other process takes the port meanwhile.
        self._bound = bound_socket()
        self.port = self._bound.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def database_url(self, url: str) -> str:
        """Return url with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = (credentials + "@" if credentials else "") + f"127.0.0.1:{self.port}"
        return parts._replace(netloc=netloc).geturl()

    def start(self) -> TcpProxy:
        """Listen and relay every connection."""
        listener = self._bound
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
        if listener is not None:
            self._bound = bound_socket(self.port)  # a socket cannot stop listening and stay bound: bind anew

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

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Cut, and free the port."""
        self.cut()
        self._bound.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
