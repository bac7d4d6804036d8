"""A simulated call as the local Twilio API stand-in knows it: told when it is placed and when it ends,
and read for what the API did to it (an update of its URL by an agent's transfer, or a hang-up), which
Twilio would carry out at once."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import requests

from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twilio_stand_in import ENDED_CALL_STATUSES

STAND_IN_TIMEOUT = 2.0  # seconds: the stand-in answers from memory on 127.0.0.1


@dataclass(frozen=True)
class CallUpdate:
    """A new URL for a live call: Twilio stops the call's TwiML and fetches it (with method)."""

    url: str
    method: str = "POST"


@dataclass(frozen=True)
class CallHungUp:
    """The call was ended through the API (an update with Status=completed or canceled): Twilio hangs up."""

    status: str


class StandInCall:
    """One call on the stand-in at base_url: `StandInCall.place(url, caller)`, then `news()` while it waits."""

    def __init__(self, base_url: str, call_sid: str):
        self.url = f"{base_url.rstrip('/')}/_standin/calls/{call_sid}.json"
        self.call_sid = call_sid
        self.followed = 0  # updates already carried out
        self._told_ended = False

    @classmethod
    def place(cls, base_url: str, caller: SimulatedCaller) -> StandInCall | None:
        """Tell the stand-in of a call being placed (in progress, so it can be redirected); None when the
        stand-in does not answer or does not know calls (an older stand-in, or none at that address)."""
        params = {"CallSid": caller.call_sid, "From": caller.from_number, "To": caller.to_number}
        try:
            answer = requests.post(f"{base_url.rstrip('/')}/_standin/calls.json", data=params, timeout=STAND_IN_TIMEOUT)
        except requests.RequestException:
            return None
        return cls(base_url, caller.call_sid) if answer.status_code == 201 else None

    def news(self) -> CallUpdate | CallHungUp | None:
        """Return what the API did to the call since the last look: hung it up, or updated its URL (the latest
        update not carried out yet: Twilio fetches only the latest); None when nothing."""
        try:
            view = requests.get(self.url, timeout=STAND_IN_TIMEOUT).json()
        except (requests.RequestException, ValueError):
            return None  # the stand-in went away: the call goes on without transfers
        if not isinstance(view, dict):
            return None
        if view.get("status") in ENDED_CALL_STATUSES and not self._told_ended:
            return CallHungUp(str(view["status"]))
        updates = view.get("updates")
        if not isinstance(updates, list) or len(updates) <= self.followed:
            return None
        self.followed = len(updates)
        latest = updates[-1]
        return CallUpdate(str(latest.get("url")), str(latest.get("method") or "POST").upper())

    def ended(self, status: str = "completed") -> None:
        """Tell the stand-in the call is over: an update of it is then refused (Twilio's 21220)."""
        self._told_ended = True
        with contextlib.suppress(requests.RequestException):  # else nothing to tell: the stand-in is gone
            requests.post(self.url, data={"Status": status}, timeout=STAND_IN_TIMEOUT)
