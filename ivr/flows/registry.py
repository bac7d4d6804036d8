"""The named pieces of behaviour that flow declarations refer to: actions, params, validators, and the slots
they read. Everything else about a flow is in flows/*.yaml."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

# What the engine hands an action, a params provider or a validator: its StepContext (typed Any here, as this
# layer lies below the engine's).
Step = Any
F = TypeVar("F", bound=Callable[..., Any])
# The slots a piece of code reads: their names (any value), or each name with the values the code knows.
Reads = Collection[str] | Mapping[str, Collection[str] | None]

# The transfer reasons the code gives itself (flows/_book.yaml must declare them): the caller's 0 at any
# question (ivr/callflow/engine.py), a call past IVR_MAX_STEPS_PER_CALL steps (ivr/callflow/service.py).
CALLER_REQUEST, CALL_TOO_LONG = "caller_request", "call_too_long"
CODE_TRANSFER_REASONS = frozenset({CALLER_REQUEST, CALL_TOO_LONG})


@dataclass(frozen=True)
class Action:
    """A step that does something and answers one of its declared outcomes."""

    name: str
    outcomes: frozenset[str]
    run: Callable[[Step], str]
    prompts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Params:
    """A provider of the values a prompt's placeholders are filled with."""

    name: str
    names: frozenset[str]
    provide: Callable[[Step], dict[str, Any]]


@dataclass(frozen=True)
class Validator:
    """Turns typed digits into the value a slot keeps, or None for input of the wrong shape."""

    name: str
    check: Callable[[Step, Any], Any]
    sensitive: bool  # the typed digits are a CIN, a birth date...: never logged or audited in clear


ACTIONS: dict[str, Action] = {}
PARAMS: dict[str, Params] = {}
VALIDATORS: dict[str, Validator] = {}
# Every slot an action or a params provider reads, with the values it knows (None: any value). A flow may set or
# save only these (and `language`, the call's own).
SLOTS: dict[str, frozenset[str] | None] = {}


def read(reads: Reads) -> None:
    """Add the slots a piece of code reads to SLOTS (two readers of one slot: the values either knows)."""
    named: Mapping[str, Collection[str] | None] = reads if isinstance(reads, Mapping) else dict.fromkeys(reads)
    for slot, values in named.items():
        before, known = SLOTS.get(slot), None if values is None else frozenset(values)
        if slot not in SLOTS or before is None:
            SLOTS[slot] = known
        elif known is not None:
            SLOTS[slot] = before | known


def action(name: str, outcomes: Collection[str], prompts: Collection[str] = (), reads: Reads = ()) -> Callable[[F], F]:
    """Register an action under a name, with the outcomes a flow must handle and the slots it reads."""

    def register(run: F) -> F:
        ACTIONS[name] = Action(name, frozenset(outcomes), run, frozenset(prompts))
        read(reads)
        return run

    return register


def params(name: str, names: Collection[str], reads: Reads = ()) -> Callable[[F], F]:
    """Register a provider of prompt placeholders, with the slots it reads."""

    def register(provide: F) -> F:
        PARAMS[name] = Params(name, frozenset(names), provide)
        read(reads)
        return provide

    return register


def validator(name: str, sensitive: bool = False) -> Callable[[F], F]:
    """Register a validator of typed input."""

    def register(check: F) -> F:
        VALIDATORS[name] = Validator(name, check, sensitive)
        return check

    return register
