"""The named pieces of behaviour that flow declarations refer to: actions, params, validators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Action:
    """A step that does something and answers one of its declared outcomes."""

    name: str
    outcomes: frozenset[str]
    run: Callable[[Any], str]
    prompts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Params:
    """A provider of the values a prompt's placeholders are filled with."""

    name: str
    names: frozenset[str]
    provide: Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Validator:
    """Turns typed digits into the value a slot keeps, or None for input of the wrong shape."""

    name: str
    check: Callable[[Any, str], Any]
    sensitive: bool  # the typed digits are a CIN, a birth date...: never logged or audited in clear


ACTIONS: dict[str, Action] = {}
PARAMS: dict[str, Params] = {}
VALIDATORS: dict[str, Validator] = {}

TRANSFER_REASONS = frozenset(
    {
        "caller_request",
        "too_many_misses",
        "identity_failed",
        "category_disputed",
        "mobile_not_callers",
        "no_language_chosen",
        "call_too_long",
        "technical_fault",
        "agent_requested",
    }
)


def action(name: str, outcomes: set[str], prompts: set[str] = frozenset()):
    """Register an action under a name, with the outcomes a flow must handle."""

    def register(run):
        ACTIONS[name] = Action(name, frozenset(outcomes), run, frozenset(prompts))
        return run

    return register


def params(name: str, names: set[str]):
    """Register a provider of prompt placeholders."""

    def register(provide):
        PARAMS[name] = Params(name, frozenset(names), provide)
        return provide

    return register


def validator(name: str, sensitive: bool = False):
    """Register a validator of typed input."""

    def register(check):
        VALIDATORS[name] = Validator(name, check, sensitive)
        return check

    return register
