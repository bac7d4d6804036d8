"""The calls in progress now, by the state they stand at: what the supervisors' dashboard shows live. Counts only.

A call is in progress while its status is `active` (Twilio's status callback ends it). A call whose end was never
reported (a lost callback) would otherwise stay "in progress" for ever: only calls started within the last
`LIVE_WINDOW` count, Twilio's own limit on a call's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import String, func, literal, select

from ivr.runtime import Runtime
from ivr.store.models import CallSession

LIVE_WINDOW = timedelta(hours=4)  # Twilio ends any call after 4 hours


@dataclass(frozen=True)
class LiveCalls:
    """The calls in progress by state (flow.state), most first; how many wait for or talk with an advisor."""

    states: dict[str, int]
    with_advisors: int

    @property
    def total(self) -> int:
        return sum(self.states.values())


def live_calls(rt: Runtime) -> LiveCalls:
    """Return the calls in progress now, counted by the state they stand at."""
    where = (CallSession.flow + literal(".", String) + CallSession.state).label("state")
    with rt.store.transaction() as db:
        rows = db.execute(
            select(where, func.count())
            .where(CallSession.status == "active", CallSession.started_at >= rt.now() - LIVE_WINDOW)
            .group_by(where)
        ).all()
    states = dict(sorted(((str(state), int(count)) for state, count in rows), key=lambda item: (-item[1], item[0])))
    return LiveCalls(states=states, with_advisors=states.get(rt.flows.queue, 0))
