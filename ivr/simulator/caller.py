"""A simulated caller: drive the voice webhooks the way Twilio does for one inbound call."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal, overload
from urllib.parse import urlencode, urljoin

from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.transports import HTTP_TIMEOUT, FlaskTransport, HttpTransport, RawResponse, Transport, Unreachable
from ivr.simulator.twiml_reader import (
    DTMF_KEYS,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Pause,
    Play,
    Redirect,
    Reject,
    Say,
    TwimlError,
    Verb,
    parse,
)

DEFAULT_FROM = "+212612345678"
DEFAULT_TO = "+212520447100"
MAX_REDIRECTS = 10
DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
ANSWERED_STATUSES = ("completed", "answered")  # Twilio's DialCallStatus for an advisor who picked up


class WebhookError(Exception):
    """The app answered Twilio with an error or with something that is not TwiML."""

    def __init__(self, url: str, status: int, body: str, reason: str = ""):
        self.url, self.status, self.body, self.reason = url, status, body, reason
        super().__init__(f"{url} answered {status}{' (' + reason + ')' if reason else ''}: {body[:500]}")


class CallLoopError(Exception):
    """The app redirected the call more than MAX_REDIRECTS times without waiting for the caller."""


class CallerError(Exception):
    """The caller tried something the call does not allow at this point."""


@dataclass(frozen=True)
class Utterance:
    """One thing the caller heard: a spoken text or a played recording."""

    text: str | None = None
    language: str | None = None
    voice: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        if self.url is not None:
            return f"[play] {self.url}"
        return f"[{self.language or 'default language'}] {self.text}"


@dataclass
class Turn:
    """What happened between one action of the caller and the next moment the call waits for them."""

    action: str
    heard: list[Utterance] = field(default_factory=list)
    keys: str = ""  # the keys pressed that began the turn
    urls: list[str] = field(default_factory=list)
    gather: Gather | None = None
    dial: Dial | None = None
    queue: Enqueue | None = None
    ended: bool = False
    ended_by: str | None = None
    xml: str = ""
    status: int | None = None

    def heard_text(self) -> str:
        """Return everything heard in this turn, one utterance a line."""
        return "\n".join(u.url if u.url is not None else u.text or "" for u in self.heard)


class SimulatedCaller:
    """One inbound call, placed and played through as Twilio's voice platform would."""

    def __init__(
        self,
        transport: Transport,
        *,
        base_url: str,
        auth_token: str = DEMO_AUTH_TOKEN,
        from_number: str = DEFAULT_FROM,
        to_number: str = DEFAULT_TO,
        call_sid: str | None = None,
        account_sid: str = DEMO_ACCOUNT_SID,
        incoming_path: str = "/voice/incoming",
        status_path: str = "/voice/status",
    ):
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.from_number, self.to_number = from_number, to_number
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.account_sid = account_sid
        self.incoming_path, self.status_path = incoming_path, status_path
        self.call_status = "ringing"
        self.turns: list[Turn] = []
        self._document_url = ""
        self._rest: list[Verb] = []
        self._redirects = 0
        self._started = 0.0
        self._simulated_seconds = 0

    @classmethod
    def in_process(
        cls, app: Flask, *, base_url: str | None = None, auth_token: str | None = None, **options: Any
    ) -> SimulatedCaller:
        """Call a Flask app through its test client, signing for the URL the app checks."""
        base_url = base_url or app.config.get("PUBLIC_BASE_URL") or "http://localhost"
        options.setdefault("account_sid", app.config.get("TWILIO_ACCOUNT_SID", DEMO_ACCOUNT_SID))
        token = auth_token or app.config["TWILIO_AUTH_TOKEN"]
        return cls(FlaskTransport(app, base_url), base_url=base_url, auth_token=token, **options)

    @classmethod
    def over_http(
        cls, base_url: str, *, auth_token: str = DEMO_AUTH_TOKEN, timeout: float = HTTP_TIMEOUT, **options: Any
    ) -> SimulatedCaller:
        """Call a running server at base_url."""
        return cls(HttpTransport(timeout=timeout), base_url=base_url, auth_token=auth_token, **options)

    # What the caller does.

    def dial(self) -> Turn:
        """Place the call: Twilio requests the number's Voice URL."""
        if self.turns:
            raise CallerError("this caller has already dialled; make a new SimulatedCaller")
        self._started = time.monotonic()
        return self._take("dial", lambda turn: self._fetch_and_run(turn, self.url(self.incoming_path), "POST", {}))

    def press(self, keys: str) -> Turn:
        """Type keys on the keypad while the pending <Gather> listens (during or after its prompts)."""
        gather = self._pending("gather")
        if not keys or set(keys) - set(DTMF_KEYS):
            raise CallerError(f"{keys!r} is not a sequence of keypad keys ({DTMF_KEYS})")
        if "dtmf" not in gather.input.split():
            raise CallerError(f"this <Gather> listens for {gather.input!r}, not for keys")
        digits, finished_on_key = _collect(gather, keys)
        if finished_on_key is None and len(digits) != gather.num_digits:
            self._simulated_seconds += gather.timeout
        return self._take(
            f"press {keys}", lambda turn: self._gathered(turn, gather, digits, finished_on_key), keys=keys
        )

    def wait(self) -> Turn:
        """Press nothing until the pending <Gather> times out."""
        gather = self._pending("gather")
        self._simulated_seconds += gather.timeout
        return self._take("wait", lambda turn: self._gathered(turn, gather, "", None))

    def advisor_answers(self, duration: int = 60, status: str = "completed") -> Turn:
        """Let the dialled advisor answer, talk for duration seconds and hang up (Twilio says completed or answered)."""
        dial = self._pending("dial")
        if status not in ANSWERED_STATUSES:
            raise CallerError(f"{status!r} is not an answered dial status ({', '.join(ANSWERED_STATUSES)})")
        self._simulated_seconds += duration
        return self._take("advisor answers", lambda turn: self._dialled(turn, dial, status, duration))

    def advisor_does_not_answer(self, status: str = "no-answer") -> Turn:
        """Let the dialled advisor not pick up (no-answer, busy, failed, canceled)."""
        dial = self._pending("dial")
        if status not in DIAL_STATUSES or status in ANSWERED_STATUSES:
            raise CallerError(f"{status!r} is not an unanswered dial status")
        self._simulated_seconds += dial.timeout if status == "no-answer" else 0
        return self._take(f"advisor {status}", lambda turn: self._dialled(turn, dial, status, 0))

    def hangup(self) -> Turn:
        """Hang up: the call ends whatever it was waiting for."""
        self._pending(None)
        return self._take("hang up", lambda turn: self._end(turn, "caller"))

    def hung_up_through_the_api(self) -> Turn:
        """End the call as Twilio does when its REST API is told to (an update with Status=completed)."""
        self._pending(None)
        return self._take("hung up through the API", lambda turn: self._end(turn, "api"))

    def redirected(self, url: str, method: str = "POST") -> Turn:
        """Follow an update of the call's URL (Twilio's REST API): the current TwiML stops, the URL is fetched."""
        self._pending(None)
        self._rest = []
        return self._take(f"redirected to {url}", lambda turn: self._fetch_and_run(turn, self.url(url), method, {}))

    def post(
        self, path: str, params: dict[str, str] | None = None, *, signed: bool = True, method: str = "POST"
    ) -> RawResponse:
        """Send exactly these parameters to a path or URL, outside the call's flow; return the raw answer."""
        return self._send(method, self.url(path), dict(params or {}), signed=signed)

    # What the caller knows.

    @property
    def turn(self) -> Turn | None:
        """Return the latest turn, or None before dialling."""
        return self.turns[-1] if self.turns else None

    @property
    def ended(self) -> bool:
        """Tell whether the call is over."""
        return bool(self.turns) and self.turns[-1].ended

    def heard_text(self) -> str:
        """Return everything heard during the call, one utterance a line."""
        return "\n".join(turn.heard_text() for turn in self.turns if turn.heard)

    def url(self, path: str) -> str:
        """Return the absolute URL of a path on the app (an absolute URL is kept)."""
        return urljoin(self.base_url + "/", path.lstrip("/")) if "://" not in path else path

    def call_params(self, **extra: str) -> dict[str, str]:
        """Return the parameters Twilio sends with every request of this call, plus extra."""
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": self.call_status,
            "Called": self.to_number,
            "Caller": self.from_number,
            "Direction": "inbound",
            "From": self.from_number,
            "To": self.to_number,
            **extra,
        }

    # How Twilio plays the call.

    def _take(self, action: str, step: Callable[[Turn], None], keys: str = "") -> Turn:
        previous = self.turn
        turn = (
            Turn(action, keys=keys, xml=previous.xml, status=previous.status) if previous else Turn(action, keys=keys)
        )
        self.turns.append(turn)
        self._redirects = 0
        try:
            step(turn)
        except Exception:
            # Twilio says "an application error has occurred" and ends the call; so does an app
            # that raised through the test client.
            if not turn.ended:
                self._end(turn, "error", quiet=True)
            raise
        return turn

    @overload
    def _pending(self, kind: Literal["gather"]) -> Gather: ...
    @overload
    def _pending(self, kind: Literal["dial"]) -> Dial: ...
    @overload
    def _pending(self, kind: None) -> None: ...

    def _pending(self, kind: Literal["gather", "dial"] | None) -> Gather | Dial | None:
        """Return the verb the call waits for (None: check only that the call goes on), or say what it waits for."""
        turn = self.turn
        if turn is None:
            raise CallerError("dial first")
        if turn.ended:
            raise CallerError(f"the call has ended ({turn.ended_by})")
        if kind is None:
            return None
        verb = getattr(turn, kind)
        if verb is None:
            waiting = (
                "keys"
                if turn.gather
                else "the advisor"
                if turn.dial
                else f"the queue {turn.queue.name}"
                if turn.queue
                else "nothing"
            )
            raise CallerError(f"the call is not waiting for a <{kind.capitalize()}> but for {waiting}")
        return verb

    def _gathered(self, turn: Turn, gather: Gather, digits: str, finished_on_key: str | None) -> None:
        params = {"FinishedOnKey": finished_on_key} if finished_on_key else {}
        if digits:
            params["Digits"] = digits
        if digits or gather.action_on_empty_result:
            self._fetch_and_run(turn, self._resolve(gather.action or self._document_url), gather.method, params)
        else:
            self._run(turn, self._rest)

    def _dialled(self, turn: Turn, dial: Dial, status: str, duration: int) -> None:
        if dial.action:
            params = {
                "DialCallStatus": status,
                "DialCallDuration": str(duration),
                "DialCallSid": "CA" + secrets.token_hex(16),
            }
            self._fetch_and_run(turn, self._resolve(dial.action), dial.method, params)
        elif self._rest:
            self._run(turn, self._rest)
        else:
            self._end(turn, "dial")

    def _fetch_and_run(self, turn: Turn, url: str, method: str, params: dict[str, str]) -> None:
        self._run(turn, self._fetch(turn, url, method, params))

    def _run(self, turn: Turn, verbs: list[Verb]) -> None:
        queue = list(verbs)
        while queue:
            verb = queue.pop(0)
            if isinstance(verb, (Say, Play)):
                turn.heard.append(_utterance(verb))
            elif isinstance(verb, Pause):
                self._simulated_seconds += verb.length
            elif isinstance(verb, Gather):
                turn.heard.extend(_utterance(child) for child in verb.children if not isinstance(child, Pause))
                turn.gather, self._rest = verb, queue
                return
            elif isinstance(verb, Dial):
                turn.dial, self._rest = verb, queue
                return
            elif isinstance(verb, Enqueue):
                turn.queue, self._rest = verb, queue
                return
            elif isinstance(verb, Redirect):
                self._redirects += 1
                if self._redirects > MAX_REDIRECTS:
                    raise CallLoopError(f"more than {MAX_REDIRECTS} redirects in a row, the last to {verb.url}")
                queue = self._fetch(turn, self._resolve(verb.url), verb.method, {})
            elif isinstance(verb, (Hangup, Reject)):
                self._end(turn, "hangup" if isinstance(verb, Hangup) else "reject")
                return
        self._end(turn, "end_of_document")

    def _fetch(self, turn: Turn, url: str, method: str, params: dict[str, str]) -> list[Verb]:
        response = self._deliver(method, url, self.call_params(**params))
        self.call_status = "in-progress"
        self._document_url = url
        turn.urls.append(url)
        turn.status, turn.xml = response.status_code, response.text
        if response.status_code != 200:
            raise WebhookError(url, response.status_code, response.text)
        try:
            return parse(response.content)
        except TwimlError as error:
            raise WebhookError(url, response.status_code, response.text, str(error)) from None

    def _end(self, turn: Turn, reason: str, quiet: bool = False) -> None:
        turn.ended, turn.ended_by = True, reason
        turn.gather = turn.dial = turn.queue = None
        self._rest = []
        self.call_status = "completed"
        duration = int(time.monotonic() - self._started) + self._simulated_seconds
        params = self.call_params(
            CallDuration=str(duration),
            CallbackSource="call-progress-events",
            SequenceNumber="0",
            Timestamp=format_datetime(datetime.now(UTC)),
        )
        url = self.url(self.status_path)
        try:
            response = self._deliver("POST", url, params)
        except Exception:
            if quiet:
                return  # the call already failed: that error is the one to report
            raise
        if not 200 <= response.status_code < 300 and not quiet:
            raise WebhookError(url, response.status_code, response.text, "status callback")

    def _resolve(self, url: str) -> str:
        return urljoin(self._document_url or self.base_url + "/", url)

    def _deliver(self, method: str, url: str, params: dict[str, str]) -> RawResponse:
        try:
            return self._send(method, url, params)
        except Unreachable as error:
            raise WebhookError(url, 0, "", f"unreachable: {error}") from None

    def _send(self, method: str, url: str, params: dict[str, str], signed: bool = True) -> RawResponse:
        if method == "GET" and params:
            # Twilio puts GET parameters in the query string and signs the whole URL.
            url, params = url + ("&" if "?" in url else "?") + urlencode(params), {}
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)} if signed else {}
        return self.transport.send(method, url, params, headers)


def _collect(gather: Gather, keys: str) -> tuple[str, str | None]:
    """Return the digits a <Gather> keeps from keys, and the finish key if it was pressed."""
    digits = ""
    for key in keys:
        if gather.finish_on_key and key == gather.finish_on_key:
            return digits, key
        digits += key
        if gather.num_digits and len(digits) >= gather.num_digits:
            break
    return digits, None


def _utterance(verb: Say | Play) -> Utterance:
    if isinstance(verb, Play):
        return Utterance(url=verb.url)
    return Utterance(text=verb.text, language=verb.language, voice=verb.voice)
