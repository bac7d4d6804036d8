"""Interpret the declared flows: one caller event in, what to say and what to wait for out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ivr.audio.offered import language_of_key
from ivr.flows.loader import State, Target
from ivr.flows.registry import ACTIONS, CALLER_REQUEST, PARAMS, VALIDATORS
from ivr.runtime import Runtime
from ivr.sensitive import Sensitive
from ivr.store.call_rows import CallRow

MAX_MISSES = 3
MAX_HOPS = 40  # states passed through in one request; the flow checker forbids loops, this is a fuse
# Twilio's DialCallStatus for an advisor who picked up: "completed" once the call ended, "answered" for some dials.
ANSWERED_DIAL_STATUSES = frozenset({"completed", "answered"})


class EngineError(Exception):
    """The engine met something the flow checker should have refused."""


@dataclass(frozen=True)
class Prompt:
    """A catalog prompt to say, with its placeholder values."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Listen:
    """Wait for keys: how many, which one ends the input, and for how long."""

    num_digits: int | None
    finish_on_key: str
    timeout: int


@dataclass
class Reply:
    """What the caller hears, then what happens: listen, dial the advisor, or hang up."""

    prompts: list[Prompt]
    listen: Listen | None = None
    dial: bool = False

    @property
    def then(self) -> str:
        return "listen" if self.listen else "dial" if self.dial else "hangup"


@dataclass
class StepContext:
    """One request of one call, as actions and params providers see it."""

    rt: Runtime
    conn: Connection  # the step's transaction
    call: CallRow
    seq: int
    prompts: list[Prompt] = field(default_factory=list)
    trail: dict[str, Any] = field(default_factory=lambda: {"path": []})
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    loaded: dict[type, Any] = field(default_factory=dict)  # the caller's rows this step has read, by model
    session: Session | None = None

    @property
    def db(self) -> Session:
        """Return an ORM session in the step's transaction, opened when an action first needs one."""
        if self.session is None:
            self.session = self.rt.store.session_on(self.conn)
        return self.session

    def flush(self) -> None:
        """Write what the actions' ORM session holds, before the step writes the call's row."""
        if self.session is not None:
            self.session.flush()
            self.session.close()
            self.session = None

    @property
    def now(self) -> datetime:
        return self.rt.now()

    @property
    def state(self) -> State:
        return self.rt.flows[f"{self.call.flow}.{self.call.state}"]

    def say(self, key: str, **params: Any) -> None:
        """Queue a prompt to be said in this reply."""
        self.prompts.append(Prompt(key, params))

    def slot(self, name: str, default: Any = None) -> Any:
        return (self.call.slots or {}).get(name, default)

    def set_slots(self, **values: Any) -> None:
        """Set slots (a new dict, so that the JSON column is seen as changed)."""
        self.call.slots = {**(self.call.slots or {}), **values}

    def drop_slots(self, *names: str) -> None:
        self.call.slots = {k: v for k, v in (self.call.slots or {}).items() if k not in names}


def begin(ctx: StepContext) -> Reply:
    """Start a call where the book says calls start."""
    go(ctx, Target(ctx.rt.flows.start))
    return run(ctx)


def transfer(ctx: StepContext, reason: str) -> Reply:
    """Send the call to the advisor for a reason, wherever it stands."""
    go(ctx, Target(ctx.rt.flows.advisor, transfer=reason))
    return run(ctx)


def answer(ctx: StepContext, digits: str | None, dial_status: str | None = None) -> Reply:
    """Take the caller's keys (or their silence, or the end of a dial) for the current state."""
    state = ctx.state
    if state.kind == "dial":
        ctx.trail["dial_status"] = dial_status or "unknown"
        go(ctx, state.answered if dial_status in ANSWERED_DIAL_STATUSES else state.unanswered)
        return run(ctx)
    if state.kind != "ask":
        raise EngineError(f"{state.name} does not wait for input")
    digits = digits or ""
    validator = VALIDATORS.get(state.expect) if state.expect else None
    ctx.trail["input"] = audited_input(state, digits)
    if not digits:
        return miss(ctx, state, "no_input")
    if "*" in digits:
        return ask(ctx, state)
    if digits == "0":
        go(ctx, Target(ctx.rt.flows.advisor, transfer=CALLER_REQUEST))
        return run(ctx)
    if validator is None:
        target = state.keys.get(digits) or more_language(ctx, state, digits)
        if target is None:
            return miss(ctx, state, "invalid")
        go(ctx, target)
        return run(ctx)
    value = validator.check(ctx, Sensitive(digits, validator.name) if validator.sensitive else digits)
    if value is None:
        return miss(ctx, state, "invalid")
    ctx.set_slots(**{declared(state, "save", state.save): value})
    go(ctx, state.next)
    return run(ctx)


def more_language(ctx: StepContext, state: State, digits: str) -> Target | None:
    """Return where a recorded language's menu key leads, setting that language, when the state offers them
    and that language is offered (complete in the audio library); else None."""
    if state.more_languages is None or len(digits) != 1:
        return None
    language = language_of_key(ctx.rt, digits)
    if language is None:
        return None
    more = state.more_languages
    return Target(more.state, {**more.set, "language": language}, more.transfer)


def audited_input(state: State, digits: str) -> str:
    """Return the caller's keys as the audit trail may keep them: a menu's one key or a reserved key, else a mark.

    Keys typed at any other question may be a CIN, a birth date or a mobile, whatever the question asked.
    """
    if digits in ("", "0", "*") or (state.keys and len(digits) == 1):
        return digits
    return repr(Sensitive(digits, "input"))


def miss(ctx: StepContext, state: State, kind: str) -> Reply:
    """Count a no-input or invalid answer: reprompt, leave, or give up after three."""
    ctx.call.misses += 1
    ctx.trail["miss"] = kind
    exit_ = state.misses[kind]
    if exit_.leave:
        go(ctx, exit_.leave)
        return run(ctx)
    if ctx.call.misses >= MAX_MISSES:
        go(ctx, state.max_attempts)
        return run(ctx)
    params = provide(ctx, state)
    ctx.say(exit_.reprompts[ctx.call.misses - 1], **params)
    return Reply(ctx.prompts, listen=listen_for(state))


def declared(state: State, what: str, value: str | None) -> str:
    """Return a name a state of this kind declares (the checks refuse a state without it)."""
    if value is None:
        raise EngineError(f"{state.name} declares no {what}")
    return value


def go(ctx: StepContext, target: Target | None) -> None:
    """Move the call to a target state, applying its slots and recording a transfer."""
    if target is None:
        raise EngineError(f"{ctx.state.name} declares no exit for this")
    call = ctx.call
    if target.transfer:
        call.transfer_reason = target.transfer
        call.transfer_state = f"{call.flow}.{call.state}"
        call.transferred_at = ctx.now
        ctx.trail["transfer"] = target.transfer
    for name, value in target.set.items():
        if name == "language":
            call.language = value
        else:
            ctx.set_slots(**{name: value})
    call.flow, call.state = target.state.split(".", 1)
    call.misses = 0
    ctx.trail["path"].append(target.state)


def run(ctx: StepContext) -> Reply:
    """Pass through states until one waits for the caller, dials, or ends the call."""
    for _ in range(MAX_HOPS):
        state = ctx.state
        if state.kind == "ask":
            return ask(ctx, state)
        for key in state.prompts:
            ctx.say(key, **provide(ctx, state))
        if state.kind == "say":
            go(ctx, state.next)
        elif state.kind == "action":
            name = declared(state, "action", state.action)
            outcome = ACTIONS[name].run(ctx)
            ctx.trail.setdefault("actions", {})[name] = outcome
            go(ctx, state.outcomes[outcome])
        elif state.kind == "dial":
            return Reply(ctx.prompts, dial=True)
        else:
            return Reply(ctx.prompts)
    raise EngineError(f"more than {MAX_HOPS} states in one step, at {ctx.state.name}")


def ask(ctx: StepContext, state: State) -> Reply:
    """Say a question's prompts and listen for the answer."""
    params = provide(ctx, state)
    for key in state.prompts:
        ctx.say(key, **params)
    return Reply(ctx.prompts, listen=listen_for(state))


def provide(ctx: StepContext, state: State) -> dict[str, Any]:
    """Return the placeholder values of a state's prompts."""
    return PARAMS[state.params].provide(ctx) if state.params else {}


def listen_for(state: State) -> Listen:
    """Return how to listen for a question's answer (a menu takes one key, # included; an entry ends with #)."""
    spec = state.input
    num_digits = spec.get("num_digits", None if state.expect else 1)
    # A menu has no finish key: with Twilio's default '#', a lone # would arrive as silence, not as a key.
    finish_on_key = spec.get("finish_on_key", "#" if state.expect else "")
    return Listen(num_digits=num_digits, finish_on_key=finish_on_key, timeout=spec.get("timeout", 6))
