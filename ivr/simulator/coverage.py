"""Flow coverage: which states and transitions of the flows (ivr/flows/transitions.py) replayed calls exercised,
read from the calls' audit trail.

Each step of a call (`call_events`, kind `step`) records what the engine did (ivr/callflow/engine.py): the keys
typed at a question (`input`: a menu's one key as typed, other keys only as a mark), a miss (`miss`: no_input or
invalid), how a dial to the advisor ended (`dial_status`), the outcome of each action run (`actions`, by action)
and the states the call passed through, in order (`path`). A step starts where the call stood: the state of the
event before it (a step's, or an agent's transfer, kind `agent`). So the step's first move answers that state:

- at a question: a miss is `no_input` or `invalid` (the question asked again, or where it leaves), or
  `max_attempts` when a question that reprompts moves on; else a menu's typed key is `keys.<key>` (a key the menu
  does not declare: `more_languages`), an entry's answer `next`; `*` (no move) and `0` are every question's keys;
- at a dial: `answered` or `unanswered`, as the engine tells them from `dial_status`;
- with no answer at all (an agent's transfer resumed, a call too long): none, unless the call stood at a state it
  passes through;

and every later move leaves a state the call passed through: a say's `next`, an action's outcome. A move is
counted only when the transition's target is the state the path entered; the others are kept as unmatched (flows
that changed since the call, or a server that runs other flows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import select

from ivr.callflow.engine import ANSWERED_DIAL_STATUSES
from ivr.flows import diagram
from ivr.flows.loader import FlowBook, State, Target
from ivr.flows.transitions import Transition, book_transitions
from ivr.runtime import Runtime
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.transports import FlaskTransport
from ivr.store.models import CallEvent, CallSession
from ivr.web.extension import runtime_of

PASSED_THROUGH = ("say", "action")  # kinds of state a step passes through without the caller


@dataclass(frozen=True)
class Event:
    """One event of a call's audit trail, as coverage reads it."""

    kind: str  # step, agent, status
    state: str  # where the call stands after it
    detail: dict[str, Any]


def call_events(rt: Runtime, call_sids: Iterable[str]) -> dict[str, list[Event]]:
    """Return the audit trail of each call found in a store, in order (calls it does not hold are left out)."""
    wanted = list(dict.fromkeys(call_sids))
    if not wanted:
        return {}
    query = (
        select(CallSession.call_sid, CallEvent.kind, CallEvent.state, CallEvent.detail)
        .join(CallEvent, CallEvent.call_session_id == CallSession.id)
        .where(CallSession.call_sid.in_(wanted))
        .order_by(CallEvent.call_session_id, CallEvent.seq, CallEvent.id)
    )
    found: dict[str, list[Event]] = {}
    with rt.store.transaction() as db:
        for call_sid, kind, state, detail in db.execute(query):
            found.setdefault(call_sid, []).append(Event(kind, state, dict(detail or {})))
    return found


def reaches(target: Target | None, head: str | None) -> bool:
    """Tell whether a transition's target is the state a move entered (None: it moved nowhere)."""
    return target.state == head if target is not None else head is None


def answered(state: State, detail: dict[str, Any], head: str | None) -> str | None:
    """Return the transition by which a step answered the state the call stood at (head: the state its path
    entered first, None when it moved nowhere), or None for every question's keys or no answer."""
    if state.kind == "dial":
        if "dial_status" not in detail:
            return None
        return "answered" if detail["dial_status"] in ANSWERED_DIAL_STATUSES else "unanswered"
    if state.kind != "ask" or "input" not in detail:
        return None
    miss = detail.get("miss")
    if miss in state.misses:
        reprompts = state.misses[miss].leave is None
        return "max_attempts" if reprompts and head is not None else miss
    typed = detail["input"]
    if head is None or typed == "0":
        return None  # * asks again, 0 goes to the advisors: every question's keys
    if state.expect:
        return "next"
    return f"keys.{typed}" if typed in state.keys else "more_languages"


def passed(state: State, detail: dict[str, Any], head: str) -> str | None:
    """Return the transition by which a step left a state it passed through (a say, an action), or None."""
    if state.kind == "say":
        return "next"
    if state.kind != "action":
        return None
    outcome = (detail.get("actions") or {}).get(state.action)
    if outcome in state.outcomes and reaches(state.outcomes[outcome], head):
        return f"outcomes.{outcome}"
    # The trail keeps one outcome per action: a step that ran an action twice is told by where it went, if only
    # one outcome leads there.
    leading = [name for name, target in state.outcomes.items() if reaches(target, head)]
    return f"outcomes.{leading[0]}" if len(leading) == 1 else None


def target_of(state: State, name: str) -> Target | None:
    """Return where a state's transition leads (None for a question asked again)."""
    what, _, which = name.partition(".")
    if what in ("keys", "outcomes"):
        return getattr(state, what).get(which)
    if what in state.misses:
        return state.misses[what].leave
    target: Target | None = getattr(state, name, None)
    return target


@dataclass
class Coverage:
    """The states and transitions that calls exercised, for one flow book."""

    book: FlowBook
    calls: int = 0
    states: set[str] = field(default_factory=set)
    transitions: set[str] = field(default_factory=set)  # Transition ids
    unmatched: list[str] = field(default_factory=list)  # moves no declared transition explains

    def add_call(self, events: Sequence[Event]) -> None:
        """Count what one call's audit trail exercised."""
        self.calls += 1
        stood: str | None = None
        for event in events:
            if event.kind == "agent":
                stood = event.state
                self.states.add(stood)
            elif event.kind == "step":
                self._add_step(stood, [str(name) for name in event.detail.get("path") or []], event.detail)
                stood = event.state

    def _add_step(self, stood: str | None, path: list[str], detail: dict[str, Any]) -> None:
        self.states.update(path)
        if stood is not None and stood in self.book:
            state = self.book[stood]
            first = path[0] if path else None
            if state.kind in PASSED_THROUGH and first is not None:
                self._count(state, passed(state, detail, first), first)
            else:
                self._count(state, answered(state, detail, first), first)
        for tail, head in pairwise(path):
            if tail not in self.book:
                self.unmatched.append(f"{tail} → {head}: {tail} is not in the flows")
                continue
            state = self.book[tail]
            name = passed(state, detail, head)
            if name is None:
                self.unmatched.append(f"{tail} → {head}")
            self._count(state, name, head)

    def _count(self, state: State, name: str | None, head: str | None) -> None:
        if name is None:
            return
        if reaches(target_of(state, name), head):
            self.transitions.add(f"{state.name}:{name}")
        else:
            self.unmatched.append(f"{state.name}:{name} → {head or 'asked again'}")

    def all_transitions(self) -> list[Transition]:
        return book_transitions(self.book)

    def untried(self) -> list[Transition]:
        """Return the transitions no call exercised, the untestable ones included."""
        return [t for t in self.all_transitions() if t.id not in self.transitions]

    def missing(self) -> list[Transition]:
        """Return the transitions no call exercised that the flows do not mark untestable."""
        return [t for t in self.untried() if t.untestable is None]

    def unreached(self) -> list[str]:
        """Return the states no call reached."""
        return [name for name in sorted(self.book.states, key=lambda n: n.split(".", 1)[0]) if name not in self.states]

    def marks(self) -> diagram.Untried:
        """Return what the flows' drawings mark as never exercised."""
        return diagram.Untried(frozenset(t.id for t in self.untried()), frozenset(self.unreached()))

    def where(self, transition: Transition) -> str:
        """Return `file:line` where the flows declare a transition."""
        return self.book.where(transition.state, *transition.loc)


class Recorder:
    """Gather the coverage of replayed calls, each read from the store of the app it called: a sandbox's (while
    it still runs), or else this app's, which is a running server's when both use the same DATABASE_URL."""

    def __init__(self, book: FlowBook, home: Runtime | None = None):
        self.home = home  # the app whose store holds a running server's calls
        self.coverage = Coverage(book)
        self.not_found: list[str] = []  # calls whose audit trail is not in the store read

    def after(self, caller: SimulatedCaller) -> None:
        """Read one call's audit trail and count it (while the app it called still answers)."""
        transport = caller.transport
        rt = runtime_of(transport.client.application) if isinstance(transport, FlaskTransport) else self.home
        events = call_events(rt, [caller.call_sid]).get(caller.call_sid) if rt is not None else None
        if events is None:
            self.not_found.append(caller.call_sid)
        else:
            self.coverage.add_call(events)

    def chain(self, after: Callable[[SimulatedCaller], None] | None) -> Callable[[SimulatedCaller], None]:
        """Return a hook that runs `after` (when given), then reads the call."""

        def both(caller: SimulatedCaller) -> None:
            if after is not None:
                after(caller)
            self.after(caller)

        return both
