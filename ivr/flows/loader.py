"""Flow declarations (flows/*.yaml): loaded into typed states and checked before any call runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.settings import PROJECT_DIR
from ivr.yamlfiles import read_yaml

FLOWS_DIR = PROJECT_DIR / "flows"
ENTRY = "language.welcome"
ADVISOR = "advisor.transfer"
MISS_KINDS = ("no_input", "invalid")
KINDS = ("ask", "say", "action", "dial", "end")


class FlowError(Exception):
    """A flow declaration is incomplete or inconsistent."""


@dataclass(frozen=True)
class Target:
    """Where a transition leads: a state, optionally with slots to set, or the advisor with a reason."""

    state: str
    set: dict[str, Any] = field(default_factory=dict)
    transfer: str | None = None


@dataclass(frozen=True)
class Miss:
    """What a question does on a miss: reprompts while attempts remain, or leave at once."""

    reprompts: tuple[str, ...] = ()
    leave: Target | None = None


@dataclass(frozen=True)
class State:
    """One declared state of a flow."""

    name: str  # qualified: flow.state
    kind: str
    prompts: tuple[str, ...] = ()
    params: str | None = None
    keys: dict[str, Target] = field(default_factory=dict)
    expect: str | None = None
    save: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    next: Target | None = None
    misses: dict[str, Miss] = field(default_factory=dict)
    max_attempts: Target | None = None
    action: str | None = None
    outcomes: dict[str, Target] = field(default_factory=dict)
    answered: Target | None = None
    unanswered: Target | None = None

    @property
    def flow(self) -> str:
        return self.name.split(".", 1)[0]

    def exits(self) -> list[Target]:
        """Return every target this state can lead to."""
        found = [*self.keys.values(), *self.outcomes.values()]
        found += [t for t in (self.next, self.max_attempts, self.answered, self.unanswered) if t]
        found += [m.leave for m in self.misses.values() if m.leave]
        return found

    def prompt_keys(self) -> set[str]:
        """Return every prompt key this state may say."""
        return {*self.prompts, *(k for m in self.misses.values() for k in m.reprompts)}


class FlowBook:
    """Every declared state, by qualified name."""

    def __init__(self, states: dict[str, State]):
        self.states = states

    def __getitem__(self, name: str) -> State:
        return self.states[name]

    def __contains__(self, name: str) -> bool:
        return name in self.states

    @classmethod
    def load(cls, directory: Path = FLOWS_DIR) -> FlowBook:
        """Read every flows/*.yaml file into one book (not yet checked)."""
        states: dict[str, State] = {}
        for path in sorted(directory.glob("*.yaml")):
            document = read_yaml(path)
            flow = document["flow"]
            if path.stem != flow:
                raise FlowError(f"{path.name}: declares flow {flow!r}, expected {path.stem!r}")
            for name, spec in (document.get("states") or {}).items():
                state = parse_state(flow, name, spec)
                if state.name in states:
                    raise FlowError(f"{state.name} declared twice")
                states[state.name] = state
        return cls(states)


def qualify(flow: str, ref: str) -> str:
    """Return a state reference as flow.state (a bare name is local to its flow)."""
    return ref if "." in ref else f"{flow}.{ref}"


def parse_target(flow: str, spec: Any, where: str) -> Target:
    """Parse `state`, `{goto: state, set: {...}}` or `{transfer: reason}`."""
    if isinstance(spec, str):
        return Target(qualify(flow, spec))
    if isinstance(spec, dict) and set(spec) == {"transfer"}:
        return Target(ADVISOR, transfer=str(spec["transfer"]))
    if isinstance(spec, dict) and "goto" in spec and set(spec) <= {"goto", "set"}:
        return Target(qualify(flow, spec["goto"]), set=dict(spec.get("set") or {}))
    raise FlowError(f"{where}: a target is a state name, {{goto, set}} or {{transfer}}, not {spec!r}")


def parse_miss(flow: str, spec: Any, where: str) -> Miss:
    """Parse a miss exit: a list of reprompt keys, or a target to leave for."""
    if isinstance(spec, list):
        return Miss(reprompts=tuple(spec))
    return Miss(leave=parse_target(flow, spec, where))


def parse_state(flow: str, name: str, spec: dict[str, Any]) -> State:
    """Turn one YAML state declaration into a State."""
    where = f"{flow}.{name}"
    # A dial may say something first: its `say` is its prompt, not a kind of its own.
    kinds = [kind for kind in KINDS if kind in spec and not (kind == "say" and "dial" in spec)]
    if len(kinds) != 1:
        raise FlowError(f"{where}: declare exactly one of {KINDS}, found {kinds}")
    kind = kinds[0]
    prompts = {"ask": spec.get("ask"), "say": spec.get("say"), "dial": spec.get("say"), "end": spec.get("end")}

    def target(key: str) -> Target | None:
        return parse_target(flow, spec[key], f"{where}.{key}") if key in spec else None

    def targets(key: str) -> dict[str, Target]:
        return {str(k): parse_target(flow, v, f"{where}.{key}.{k}") for k, v in (spec.get(key) or {}).items()}

    declared = prompts.get(kind)
    return State(
        name=where,
        kind=kind,
        prompts=tuple([declared] if isinstance(declared, str) else declared or ()),
        params=spec.get("params"),
        keys=targets("keys"),
        expect=spec.get("expect"),
        save=spec.get("save"),
        input=dict(spec.get("input") or {}),
        next=target("next"),
        misses={miss: parse_miss(flow, spec[miss], f"{where}.{miss}") for miss in MISS_KINDS if miss in spec},
        max_attempts=target("max_attempts"),
        action=spec.get("action"),
        outcomes=targets("outcomes"),
        answered=target("answered"),
        unanswered=target("unanswered"),
    )
