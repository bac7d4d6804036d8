"""The flows' transitions: every way a declared state answers the caller or passes the call on, with a stable id.

A transition is named where its state declares it, as the state's `untestable` names it: `keys.<key>` (a menu's
key), `more_languages` (a recorded language's key), `next` (a say's, or an entry's valid answer), `outcomes.<name>`
(an action's outcome), `no_input`, `invalid` (a miss: a reprompt, or where the question leaves), `max_attempts`
(the third miss), `answered` and `unanswered` (a dial). Its id is `flow.state:name`, e.g. `menu.choose:keys.1` or
`identity.verify:outcomes.locked`. The keys every question takes (`*` repeats, `0` goes to the advisors) and the
code's own transfers (a call too long, an agent's) are not the flows' transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr.flows.loader import FlowBook, State, Target

MISS_NAMES = ("no_input", "invalid")
LABELS = {
    "more_languages": "a recorded language's key",
    "no_input": "no input",
    "max_attempts": "max attempts",
}


@dataclass(frozen=True)
class Transition:
    """One transition of a state: its name within the state, where it leads (None: the question is asked again)
    and, when the flow marks it untestable, why."""

    state: str  # flow.state
    name: str
    target: Target | None
    untestable: str | None = None

    @property
    def id(self) -> str:
        return f"{self.state}:{self.name}"

    @property
    def flow(self) -> str:
        return self.state.split(".", 1)[0]

    @property
    def loc(self) -> tuple[Any, ...]:
        """Return where the state declares it (for FlowBook.where)."""
        return tuple(self.name.split(".", 1))

    @property
    def label(self) -> str:
        """Say it as a tester reads it: `key 1`, `outcome locked`, `no input (reprompt)`..."""
        what, _, which = self.name.partition(".")
        if what == "keys":
            return f"key {which}"
        if what == "outcomes":
            return f"outcome {which}"
        label = LABELS.get(self.name, self.name)
        return f"{label} (reprompt)" if self.target is None else label

    @property
    def to(self) -> str:
        """Say where it leads: flow.state, `advisors: reason` or `asked again`."""
        if self.target is None:
            return "asked again"
        return f"advisors: {self.target.transfer}" if self.target.transfer else self.target.state


def transitions_of(state: State) -> list[Transition]:
    """Return a state's transitions, in the order the flows' drawings list them."""
    found: list[tuple[str, Target | None]] = [(f"keys.{key}", target) for key, target in state.keys.items()]
    found += [(name, getattr(state, name)) for name in ("more_languages", "next") if getattr(state, name)]
    found += [(f"outcomes.{outcome}", target) for outcome, target in state.outcomes.items()]
    found += [(name, getattr(state, name)) for name in ("answered", "unanswered") if getattr(state, name)]
    found += [(name, state.misses[name].leave) for name in MISS_NAMES if name in state.misses]
    found += [("max_attempts", state.max_attempts)] if state.max_attempts is not None else []
    return [Transition(state.name, name, target, state.untestable.get(name)) for name, target in found]


def book_transitions(book: FlowBook) -> list[Transition]:
    """Return every transition of every state of the book, flow by flow, state by state as declared."""
    return [
        transition
        for state in sorted(book.states.values(), key=lambda state: state.flow)
        for transition in transitions_of(state)
    ]
