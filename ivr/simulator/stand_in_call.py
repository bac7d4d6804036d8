"""A simulated call as the local Twilio API stand-in knows it: told when it is placed and when it ends,
and read for the updates of its URL (an agent's transfer), which Twilio would carry out at once."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import requests

from ivr.simulator.caller import SimulatedCaller

STAND_IN_TIMEOUT = 2.0  # seconds: the stand-in answers from memory on 127.0.0.1


@dataclass(frozen=True)
class CallUpdate:
    """A new URL for a live call: Twilio stops the call's TwiML and fetches it (with method)."""

    url: str
    method: str = "POST"


class StandInCall:
    """One call on the stand-in at base_url: `StandInCall.place(url, caller)`, then `new_update()` while it waits."""

    def __init__(self, base_url: str, call_sid: str):
        self.url = f"{base_url.rstrip('/')}/_standin/calls/{call_sid}.json"
        self.call_sid = call_sid
        self.followed = 0  # updates already carried out

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

    def new_update(self) -> CallUpdate | None:
        """Return the call's latest URL update not carried out yet (Twilio fetches only the latest), or None."""
        try:
            view = requests.get(self.url, timeout=STAND_IN_TIMEOUT).json()
        except (requests.RequestException, ValueError):
            return None  # the stand-in went away: the call goes on without transfers
        updates = view.get("updates") if isinstance(view, dict) else None
        if not isinstance(updates, list) or len(updates) <= self.followed:
            return None
        self.followed = len(updates)
        latest = updates[-1]
        return CallUpdate(str(latest.get("url")), str(latest.get("method") or "POST").upper())

    def ended(self, status: str = "completed") -> None:
        """Tell the stand-in the call is over: an update of it is then refused (Twilio's 21220)."""
        with contextlib.suppress(requests.RequestException):  # else nothing to tell: the stand-in is gone
            requests.post(self.url, data={"Status": status}, timeout=STAND_IN_TIMEOUT)
