"""The HTTP side of the Twilio API stand-in: routes, Twilio-shaped errors, signed status callbacks."""

from __future__ import annotations

import json
import logging
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

from twilio.request_validator import RequestValidator

log = logging.getLogger("ivr.simulator.twilio_stand_in")

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
CALL = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls/(?P<call>[^/]+)\.json$")
MESSAGES_VIEW = "/_standin/messages.json"
# The stand-in's own routes for a simulated caller (no credentials: the stand-in listens on 127.0.0.1):
# tell it of a call as it is placed or ends, and read the updates of its URL an agent's transfer made.
CALLS_VIEW = "/_standin/calls.json"
CALL_VIEW = re.compile(r"^/_standin/calls/(?P<call>[^/]+)\.json$")


class StandIn(Protocol):
    """What the HTTP side asks of the stand-in's state (TwilioApiStandIn)."""

    account_sid: str
    auth_token: str
    callback_delay: float

    def messages_to(self, to: str | None = None) -> list[dict]: ...
    def add_call(self, call_sid: str, status: str = ..., from_number: str = ..., to_number: str = ...) -> dict: ...
    def set_call_status(self, call_sid: str, status: str) -> dict: ...
    def call_view(self, call_sid: str) -> dict: ...
    def check_request(self, authorization: str, account_sid: str) -> None: ...
    def update_call(self, call_sid: str, form: dict[str, str]) -> dict: ...
    def create_message(self, form: dict[str, str]) -> dict: ...
    def set_message_status(self, sid: str, status: str) -> None: ...


class StandInError(Exception):
    """A Twilio API error to answer with (HTTP status, Twilio error code, message)."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def payload(self) -> dict:
        """Return Twilio's JSON shape of an error."""
        return {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
        }


class StandInServer(ThreadingHTTPServer):
    """The HTTP server of one stand-in, which its handlers answer for."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], stand_in: StandIn):
        super().__init__(address, ApiHandler)
        self.stand_in = stand_in


class ApiHandler(BaseHTTPRequestHandler):
    """Route one request to the stand-in its server carries."""

    server: StandInServer
    server_version = "TwilioApiStandIn/1.0"

    @property
    def stand_in(self) -> StandIn:
        return self.server.stand_in

    def log_message(self, format: str, *args: object) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        call = CALL_VIEW.match(url.path)
        try:
            if call:
                return self._answer(200, self.stand_in.call_view(call["call"]))
            if url.path != MESSAGES_VIEW:
                raise StandInError(404, 20404, "The requested resource was not found")
        except StandInError as error:
            return self._answer(error.status, error.payload())
        to = parse_qs(url.query).get("to", [None])[0]
        if to and not to.startswith("+"):
            to = "+" + to.strip()  # an unescaped "+" in a query string arrives as a space
        self._answer(200, {"messages": self.stand_in.messages_to(to)})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        try:
            if path == CALLS_VIEW:
                status = form.get("Status") or "in-progress"
                call_sid, sender, to = form.get("CallSid", ""), form.get("From", ""), form.get("To", "")
                return self._answer(201, self.stand_in.add_call(call_sid, status, sender, to))
            if called := CALL_VIEW.match(path):
                return self._answer(200, self.stand_in.set_call_status(called["call"], form.get("Status", "")))
            match = MESSAGES.match(path) or CALL.match(path)
            if not match:
                raise StandInError(404, 20404, f"The requested resource {path} was not found")
            self.stand_in.check_request(self.headers.get("Authorization", ""), match["account"])
            if "call" in match.groupdict():
                return self._answer(200, self.stand_in.update_call(match["call"], form))
            self._answer(201, self.stand_in.create_message(form))
        except StandInError as error:
            self._answer(error.status, error.payload())

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def post_status_callbacks(stand_in: StandIn, message: dict) -> None:
    """Post `sent` then `delivered` to a message's StatusCallback, signed like Twilio."""
    validator = RequestValidator(stand_in.auth_token)
    url = message["status_callback"]
    for status in ("sent", "delivered"):
        time.sleep(stand_in.callback_delay)
        stand_in.set_message_status(message["sid"], status)
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": stand_in.account_sid,
            "To": message["to"],
            "From": message["from"],
            "ApiVersion": "2010-04-01",
        }
        request = Request(
            url,
            data=urlencode(params).encode(),
            method="POST",
            headers={
                "X-Twilio-Signature": validator.compute_signature(url, params),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urlopen(request, timeout=10) as response:
                log.debug("status callback %s %s: HTTP %s", message["sid"], status, response.status)
        except OSError as error:
            log.warning("status callback %s %s failed: %s", message["sid"], status, error)
