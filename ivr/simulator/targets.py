"""Where scripted calls go: the in-process sandbox, or a running server (signed webhooks over HTTP)."""

from __future__ import annotations

import threading
import time

import requests

from ivr.settings import DEMO_AUTH_TOKEN
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.played import play_lookup
from ivr.simulator.recognise import Recogniser
from ivr.simulator.replay import SMS_WAIT_SECONDS
from ivr.simulator.sandbox import Sandbox
from ivr.simulator.transports import HTTP_TIMEOUT, FlaskTransport, HttpTransport, RawResponse, Transport
from ivr.speech.catalog import Catalog

SANDBOX_BASE_URL = "http://localhost"
# A running server's SMS wait in its outbox for a sender that looks every second or more (`sms worker
# --interval`), behind every other caller's SMS in load mode: give it far longer than the sandbox.
REMOTE_SMS_WAIT = 60.0


class TimedTransport:
    """A transport that records each answered request's round trip, in seconds (list.append is thread-safe)."""

    def __init__(self, inner: Transport, samples: list[float]):
        self.inner, self.samples = inner, samples

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse:
        started = time.perf_counter()
        answer = self.inner.send(method, url, params, headers)
        # A request without an answer is an error of its call, not a round trip: a refused connection
        # would otherwise pull the percentiles down just when the server is failing.
        self.samples.append(time.perf_counter() - started)
        return answer


class SandboxTarget:
    """Calls to a sandbox app through Flask's test client."""

    def __init__(self, sandbox: Sandbox, samples: list[float] | None = None):
        self.sandbox = sandbox
        self.samples = samples
        library = sandbox.rt.extras.get("audio")
        catalog = sandbox.rt.catalog
        self.recogniser = Recogniser(catalog, play_lookup(catalog, library) if library else None)
        self.sms_unavailable: str | None = None
        self.sms_wait = SMS_WAIT_SECONDS
        self._sending = threading.Lock()

    def caller(self, from_number: str) -> SimulatedCaller:
        transport: Transport = FlaskTransport(self.sandbox.app, SANDBOX_BASE_URL)
        if self.samples is not None:
            transport = TimedTransport(transport, self.samples)
        return SimulatedCaller(
            transport,
            base_url=SANDBOX_BASE_URL,
            auth_token=self.sandbox.app.config["TWILIO_AUTH_TOKEN"],
            account_sid=self.sandbox.app.config["TWILIO_ACCOUNT_SID"],
            from_number=from_number,
        )

    def sms_to(self, to: str) -> list[dict]:
        with self._sending:  # the sandbox has no sender thread: the runner sends, one at a time
            self.sandbox.deliver_sms()
        return self.sandbox.stand_in.messages_to(to)

    def transfer_reason(self, call_sid: str) -> str | None:
        return self.sandbox.transfer_reason(call_sid)


class RemoteTarget:
    """Calls to a running server; SMS read from its Twilio API stand-in when one is given."""

    def __init__(
        self,
        base_url: str,
        auth_token: str = DEMO_AUTH_TOKEN,
        sms_url: str | None = None,
        samples: list[float] | None = None,
        timeout: float = HTTP_TIMEOUT,
        catalog: Catalog | None = None,
    ):
        self.base_url, self.auth_token, self.timeout = base_url.rstrip("/"), auth_token, timeout
        self.sms_url = sms_url.rstrip("/") if sms_url else None
        self.samples = samples
        catalog = catalog or Catalog.load()
        # Naming <Play> URLs assumes the server renders with the same engine as this machine.
        self.recogniser = Recogniser(catalog, play_lookup(catalog))
        self.sms_unavailable = (
            None
            if sms_url
            else (
                "no --sms-url: the SMS a running server sends can only be read from the Twilio API stand-in it "
                "sends through (give its base URL, e.g. --sms-url http://127.0.0.1:8090)"
            )
        )
        self.sms_wait = REMOTE_SMS_WAIT
        self._sessions = threading.local()

    def caller(self, from_number: str) -> SimulatedCaller:
        transport: Transport = HttpTransport(session=self._session(), timeout=self.timeout)
        if self.samples is not None:
            transport = TimedTransport(transport, self.samples)
        return SimulatedCaller(transport, base_url=self.base_url, auth_token=self.auth_token, from_number=from_number)

    def sms_to(self, to: str) -> list[dict]:
        answer = self._session().get(f"{self.sms_url}/_standin/messages.json", params={"to": to}, timeout=5)
        answer.raise_for_status()
        return answer.json().get("messages", [])

    def transfer_reason(self, call_sid: str) -> str | None:
        return None  # a running server's store is not ours to read: the <Dial> is checked, not the reason

    def _session(self) -> requests.Session:
        """Return this thread's HTTP session (connections are reused, never shared between threads)."""
        if not hasattr(self._sessions, "session"):
            self._sessions.session = requests.Session()
        return self._sessions.session
