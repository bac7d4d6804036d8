"""How the simulated caller's requests reach the app: in-process (Flask test client) or over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import requests
from flask import Flask

from ivr.store.db import CONNECT_TIMEOUT, SQLITE_BUSY_TIMEOUT, STATEMENT_TIMEOUT_MS

# The longest a webhook may wait on its database before it answers anyway (with the apology):
# SQLite's writer lock, or a PostgreSQL connection and then a statement.
SERVER_LONGEST_WAIT = max(SQLITE_BUSY_TIMEOUT, CONNECT_TIMEOUT + STATEMENT_TIMEOUT_MS / 1000)
# Seconds the simulator waits for an answer: longer than the server may wait, with time to answer
# after it, so that a slow step is reported as what the caller heard, not as a connection error.
HTTP_TIMEOUT = SERVER_LONGEST_WAIT + 5.0


class Unreachable(Exception):
    """The server could not be reached at all."""


@dataclass(frozen=True)
class RawResponse:
    """What the app answered to one request."""

    status_code: int
    content: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Something that delivers a request to the app and returns its answer."""

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse: ...


class FlaskTransport:
    """Deliver requests to a Flask app through its test client."""

    def __init__(self, app: Flask, base_url: str):
        self.client = app.test_client()
        self.base_url = base_url.rstrip("/")

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse:
        """Send one request; a path below base_url keeps the base's path as SCRIPT_NAME."""
        options: dict = {"method": method, "headers": headers, "data": params if method == "POST" else None}
        if url.startswith(self.base_url + "/"):
            url, options["base_url"] = url[len(self.base_url) :], self.base_url
        response = self.client.open(url, **options)
        return RawResponse(response.status_code, response.get_data(), dict(response.headers))


class HttpTransport:
    """Deliver requests to a running server over HTTP."""

    def __init__(self, session: requests.Session | None = None, timeout: float = HTTP_TIMEOUT):
        self.session = session or requests.Session()
        self.timeout = timeout

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse:
        """Send one request; HTTP redirects are answers like any other, not followed."""
        try:
            response = self.session.request(
                method,
                url,
                data=params if method == "POST" else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise Unreachable(str(error)) from None
        return RawResponse(response.status_code, response.content, dict(response.headers))
