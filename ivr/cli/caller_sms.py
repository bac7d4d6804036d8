"""The console caller's SMS: those the Twilio API stand-in receives for the caller, shown as they arrive."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import click
import requests

from ivr.registration.mobiles import mobile_from_keypad
from ivr.simulator.caller import Turn

MESSAGES_VIEW = "/_standin/messages.json"


class SmsWatch:
    """Show, from a thread, the SMS a Twilio API stand-in accepts during one call.

    Only the caller's own by default: those to the calling number, to a mobile the caller typed during the
    call, or to the numbers given; every SMS with all_sms, other callers' included (they carry their
    passwords: after a load run, hundreds of them).
    """

    def __init__(self, sms_url: str | None, numbers: Iterable[str], all_sms: bool = False, interval: float = 0.5):
        self.url = sms_url.rstrip("/") + MESSAGES_VIEW if sms_url else None
        self.numbers = {number for number in numbers if number}
        self.all_sms, self.interval = all_sms, interval
        self.shown = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.seen = {message.get("sid") for message in self._fetch(None)}  # from before the call: not shown

    def start(self) -> None:
        """Poll the stand-in in a daemon thread, printing each new SMS, even while the console waits."""
        if self.url and self._thread is None:
            self._thread = threading.Thread(target=self._poll, name="sms-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling after one last look; say how many SMS to other numbers were left out."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.show_new()
        if self.url and not self.all_sms:
            others = self.others()
            if others:
                click.echo(
                    f"-- {others} SMS to other numbers than this caller's during the call, not shown"
                    " (--from the person's mobile shows theirs; --all-sms shows every SMS)"
                )

    def follow(self, turn: Turn) -> None:
        """Count a mobile the caller typed in this turn as theirs: the SMS to it are the caller's too."""
        mobile = mobile_from_keypad(turn.keys.rstrip("#")) if turn.keys else None
        if mobile:
            with self._lock:
                self.numbers.add(mobile)

    def show_new(self) -> None:
        """Print the caller's messages not shown yet."""
        with self._lock:
            numbers = [None] if self.all_sms else sorted(self.numbers)
            fresh = [
                message for number in numbers for message in self._fetch(number) if message.get("sid") not in self.seen
            ]
            self.seen.update(message.get("sid") for message in fresh)
            for message in fresh:
                click.echo(f"\n  SMS to {message.get('to')}: {message.get('body')}")
            self.shown += len(fresh)

    def others(self) -> int:
        """Return how many SMS the stand-in accepted during the call for numbers that are not the caller's."""
        with self._lock:
            return sum(
                1
                for message in self._fetch(None)
                if message.get("sid") not in self.seen and message.get("to") not in self.numbers
            )

    def _poll(self) -> None:
        while not self._stopping.wait(self.interval):
            self.show_new()

    def _fetch(self, to: str | None) -> list[dict]:
        if not self.url:
            return []
        try:
            answer = requests.get(self.url, params={"to": to} if to else {}, timeout=2).json()
        except (requests.RequestException, ValueError):
            return []  # the stand-in is optional: a console call goes on without it
        messages = answer.get("messages", []) if isinstance(answer, dict) else answer
        if not isinstance(messages, list):
            return []
        # The stand-in filters by number; a list that does not is filtered here (never a stranger's SMS).
        return [m for m in messages if isinstance(m, dict) and (to is None or m.get("to") == to)]
