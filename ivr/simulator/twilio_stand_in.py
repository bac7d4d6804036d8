"""A local stand-in of Twilio's REST API (Messages and Calls), for tests and the demo run.

It answers the real `twilio` SDK over HTTP on 127.0.0.1 with Twilio-shaped JSON and errors,
records what it was asked, and can post signed SMS status callbacks like Twilio does.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Callable
from email.utils import formatdate

from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.twilio_stand_in_http import StandInError, StandInServer, post_status_callbacks
from ivr.sms.encoding import sms_segments

API = "/2010-04-01/Accounts/"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
ENDED_CALL_STATUSES = {"completed", "canceled", "failed", "busy", "no-answer"}
CALL_STATUSES = {"queued", "ringing", "in-progress"} | ENDED_CALL_STATUSES
CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")


def rfc2822_now() -> str:
    """Return the current time as Twilio writes dates (RFC 2822, GMT)."""
    return formatdate(usegmt=True)


class TwilioApiStandIn:
    """Twilio's REST API on a local port: `with TwilioApiStandIn(sid, token) as api: api.base_url`."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        deliver_status_callbacks: bool = False,
        callback_delay: float = 0.2,
        on_message: Callable[[dict], None] | None = None,
    ):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.deliver_status_callbacks, self.callback_delay = deliver_status_callbacks, callback_delay
        self.on_message = on_message
        self.messages: list[dict] = []
        self.call_updates: list[dict] = []
        self.calls: dict[str, dict] = {}
        self._failures: list[StandInError] = []
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._server = StandInServer((host, port), self)

    @property
    def base_url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]  # server_address, as a str (the port when 0 was asked)
        return f"http://{host}:{port}"

    def start(self) -> TwilioApiStandIn:
        """Serve in a daemon thread."""
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-stand-in", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and wait briefly for pending status callbacks."""
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> TwilioApiStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next(self, status: int, code: int, message: str) -> None:
        """Make the next API request fail with this HTTP status and Twilio error."""
        with self._changed:
            self._failures.append(StandInError(status, code, message))

    def add_call(self, call_sid: str, status: str = "in-progress", from_number: str = "", to_number: str = "") -> dict:
        """Know a call, so that it can be redirected (a test, or a console caller as it dials); return its view."""
        if not CALL_SID.match(call_sid):
            raise StandInError(400, 21201, f"{call_sid!r} is not a CallSid")
        if status not in CALL_STATUSES:
            raise StandInError(400, 21218, f"{status!r} is not a call status")
        with self._changed:
            self.calls[call_sid] = {
                "sid": call_sid,
                "status": status,
                "from": from_number,
                "to": to_number,
                "url": None,
                "updates": [],
            }
            self._changed.notify_all()
            return self._call_view(call_sid)

    def set_call_status(self, call_sid: str, status: str) -> dict:
        """Change a known call's status (e.g. "completed" once the caller hung up); return its view."""
        if status not in CALL_STATUSES:
            raise StandInError(400, 21218, f"{status!r} is not a call status")
        with self._changed:
            self._known_call(call_sid)["status"] = status
            self._changed.notify_all()
            return self._call_view(call_sid)

    def call_view(self, call_sid: str) -> dict:
        """Return what a caller needs of a known call: its status and the updates of its URL, oldest first."""
        with self._changed:
            return self._call_view(call_sid)

    def _call_view(self, call_sid: str) -> dict:
        call = self._known_call(call_sid)
        return {"sid": call_sid, "status": call["status"], "updates": [dict(update) for update in call["updates"]]}

    def _known_call(self, call_sid: str) -> dict:
        call = self.calls.get(call_sid)
        if call is None:
            raise StandInError(
                404, 20404, f"The requested resource {API}{self.account_sid}/Calls/{call_sid}.json was not found"
            )
        return call

    def wait_for_messages(self, n: int, timeout: float = 5.0) -> list[dict]:
        """Wait until n messages were accepted and return copies of them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= n, timeout):
                raise TimeoutError(f"{len(self.messages)} SMS received, {n} expected")
            return [dict(message) for message in self.messages]

    def set_message_status(self, sid: str, status: str) -> None:
        """Change a recorded message's status (as its delivery progresses)."""
        with self._changed:
            for message in self.messages:
                if message["sid"] == sid:
                    message["status"] = status
            self._changed.notify_all()

    def messages_to(self, to: str | None = None) -> list[dict]:
        """Return copies of the recorded messages, all or those to one number."""
        with self._changed:
            return [dict(m) for m in self.messages if to is None or m["to"] == to]

    # Requests, called by the handler threads.

    def check_request(self, authorization: str, account_sid: str) -> None:
        """Refuse bad credentials or another account; consume an injected failure."""
        with self._changed:
            if self._failures:
                raise self._failures.pop(0)
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise StandInError(401, 20003, "Authenticate")
        if account_sid != self.account_sid:
            raise StandInError(404, 20404, "The requested resource was not found")

    def create_message(self, form: dict[str, str]) -> dict:
        """Validate and record an outgoing SMS; return its Twilio JSON."""
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not E164.match(to):
            raise StandInError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not sender:
            raise StandInError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise StandInError(400, 21602, "Message body is required.")
        if len(body) > 1600:
            raise StandInError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = "SM" + secrets.token_hex(16)
        now = rfc2822_now()
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": str(sms_segments(body)[1]),
            "num_media": "0",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "messaging_service_sid": None,
            "status_callback": form.get("StatusCallback") or None,
            "uri": f"{API}{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{API}{self.account_sid}/Messages/{sid}/Media.json"},
        }
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        if self.on_message:
            self.on_message(dict(message))
        if self.deliver_status_callbacks and message["status_callback"]:
            thread = threading.Thread(target=post_status_callbacks, args=(self, message), daemon=True)
            thread.start()
            with self._changed:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        return {k: v for k, v in message.items() if k != "status_callback"}

    def update_call(self, call_sid: str, form: dict[str, str]) -> dict:
        """Redirect a live call to a new TwiML URL, or hang it up (Status=completed)."""
        with self._changed:
            call = self._known_call(call_sid)
            if call["status"] in ENDED_CALL_STATUSES:
                raise StandInError(400, 21220, "Call is not in-progress. Cannot redirect.")
            if form.get("Url"):
                # Twilio fetches the new URL at once; here the caller that placed the call (a test, the
                # console caller) reads the update from call_view and fetches it.
                call["url"] = form["Url"]
                update = {"url": form["Url"], "method": form.get("Method", "POST").upper()}
                call["updates"].append(update)
                self.call_updates.append({"call_sid": call_sid, **update})
            if form.get("Status") in ("completed", "canceled"):
                call["status"] = form["Status"]
            self._changed.notify_all()
            now = rfc2822_now()
            return {
                "sid": call_sid,
                "account_sid": self.account_sid,
                "status": call["status"],
                "api_version": "2010-04-01",
                "date_created": now,
                "date_updated": now,
                "uri": f"{API}{self.account_sid}/Calls/{call_sid}.json",
            }


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in in the foreground, printing each SMS it receives."""
    parser = argparse.ArgumentParser(prog="python -m ivr.simulator.twilio_stand_in", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID") or DEMO_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN") or DEMO_AUTH_TOKEN)
    parser.add_argument("--status-callbacks", action="store_true", help="post sent/delivered callbacks")
    options = parser.parse_args(argv)

    def show(message: dict) -> None:
        print(f"SMS to {message['to']}: {message['body']}", flush=True)

    stand_in = TwilioApiStandIn(
        options.account_sid,
        options.auth_token,
        options.host,
        options.port,
        deliver_status_callbacks=options.status_callbacks,
        on_message=show,
    )
    print(f"Twilio API stand-in on {stand_in.base_url} (account {options.account_sid})", flush=True)
    with stand_in, contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
