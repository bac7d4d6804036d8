"""Flow declarations (flows/*.yaml): read strictly (ivr/flows/schema.py), then turned into the typed states
the engine walks, with what the flows share (flows/_book.yaml) and what agents may do with a call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.flows import references, schema, sources
from ivr.flows.schema import AgentTarget, Declarations, Texts
from ivr.settings import PROJECT_DIR

FLOWS_DIR = PROJECT_DIR / "flows"
MISS_KINDS = ("no_input", "invalid")
KINDS = ("ask", "say", "action", "dial", "end")
# The engine's kind of each declared form (a menu and an entry are both questions), and where its prompts are.
KIND_OF: dict[type, str] = {
    schema.Menu: "ask",
    schema.Entry: "ask",
    schema.Say: "say",
    schema.Action: "action",
    schema.Dial: "dial",
    schema.End: "end",
}
PROMPTS_OF = {"ask": "ask", "say": "say", "dial": "say", "end": "end"}


class FlowError(Exception):
    """Flow declarations are incomplete or inconsistent: every problem, each as `file:line: why`."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("flows refused:\n  " + "\n  ".join(self.problems))


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
    more_languages: Target | None = None  # a recordings-only language's menu key, once offered
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
    requires: frozenset[str] = frozenset()  # what an agent's transfer here needs: "person", "registration"
    title: Texts | None = None  # where a call stood here, in the agents' words, when its flow's title is too vague
    untestable: dict[str, str] = field(default_factory=dict)  # transition name -> why no scenario can drive it

    @property
    def flow(self) -> str:
        return self.name.split(".", 1)[0]

    def exits(self) -> list[Target]:
        """Return every target this state can lead to."""
        found = [*self.keys.values(), *self.outcomes.values()]
        found += [t for t in (self.more_languages, self.next, self.max_attempts, self.answered, self.unanswered) if t]
        found += [m.leave for m in self.misses.values() if m.leave]
        return found

    def prompt_keys(self) -> set[str]:
        """Return every prompt key this state may say."""
        return {*self.prompts, *(k for m in self.misses.values() for k in m.reprompts)}


class FlowBook:
    """Every declared state, by qualified name, and what the flows share: where a call starts, where it goes for
    an advisor, why, and where agents may send it."""

    def __init__(
        self,
        states: dict[str, State],
        *,
        start: str,
        advisor: str,
        queue: str,
        reasons: dict[str, Texts],
        agent_targets: dict[str, AgentTarget],
        flow_targets: dict[str, str],
        flow_titles: dict[str, Texts] | None = None,
        declarations: Declarations | None = None,
    ):
        self.states = states
        self.start = start  # every call starts here
        self.advisor = advisor  # every transfer to the advisors enters here
        self.queue = queue  # a call here waits for or talks with an advisor
        self.reasons = reasons  # why a call reached the advisors, with what agents read of it
        self.agent_targets = agent_targets  # the states agents may send a call to, with what the console says
        self.flow_targets = flow_targets  # a flow's name as an agent's target: the state it means
        self.flow_titles = flow_titles or {}  # what each flow is, in the agents' words
        self.declarations = declarations

    def __getitem__(self, name: str) -> State:
        return self.states[name]

    def __contains__(self, name: str) -> bool:
        return name in self.states

    @property
    def advisor_flow(self) -> str:
        """Return the flow of the advisors' entry: its states are no agent's target, a long call is not cut there."""
        return self.advisor.split(".", 1)[0]

    def where(self, name: str, *loc: Any) -> str:
        """Return `file:line` of a state (or of a path within it), or the state's name for a book made in code."""
        if self.declarations is None or name.split(".", 1)[0] not in self.declarations.sources:
            return name
        return self.declarations.state_at(name, *loc)

    def reason_text(self, reason: str | None, language: str = "en") -> str | None:
        """Return what agents read of a transfer reason (the reason itself when the book does not know it)."""
        texts = self.reasons.get(reason or "")
        return getattr(texts, language) if texts is not None else reason

    def reason_words(self, reason: str | None) -> dict[str, str] | None:
        """Return a transfer reason in each of the agents' languages, or None when the book does not know it."""
        texts = self.reasons.get(reason or "")
        return texts.model_dump() if texts is not None else None

    def stood_words(self, name: str | None) -> dict[str, str] | None:
        """Return where a call stood (flow.state) in each of the agents' languages: the state's own title, else its
        flow's; None for a state or flow the book does not know."""
        if not name:
            return None
        state = self.states.get(name)
        texts = state.title if state is not None and state.title is not None else None
        texts = texts or self.flow_titles.get(name.split(".", 1)[0])
        return texts.model_dump() if texts is not None else None

    @classmethod
    def load(cls, directory: Path = FLOWS_DIR) -> FlowBook:
        """Read flows/_book.yaml and every flows/<name>.yaml into one book; raise FlowError with every problem of
        their shape and of the names they give each other (the registry's and the catalog's are checks.py's)."""
        found = schema.read_declarations(directory)
        problems = references.sort_problems(found.problems + references.reference_problems(found))
        if problems or found.book is None:
            raise FlowError(problems)
        return cls.of(found)

    @classmethod
    def of(cls, found: Declarations) -> FlowBook:
        """Turn checked declarations into a book."""
        if found.book is None:
            raise FlowError([f"{sources.shown_path(found.directory / schema.BOOK_FILE)}:1: missing"])
        advisor = found.book.advisor.transfer
        states: dict[str, State] = {}
        agent_targets: dict[str, AgentTarget] = {}
        flow_targets: dict[str, str] = {}
        flow_titles: dict[str, Texts] = {}
        for flow, declared in found.flows.items():
            if declared.title is not None:
                flow_titles[flow] = declared.title
            for name, model in declared.states.items():
                requires = frozenset([*declared.requires, *model.requires])
                states[f"{flow}.{name}"] = build_state(flow, name, model, advisor, requires)
            for target in declared.agent_targets:
                agent_targets[qualify(flow, target.state)] = target
                flow_targets.setdefault(flow, qualify(flow, target.state))
        return cls(
            states,
            start=found.book.start,
            advisor=advisor,
            queue=found.book.advisor.queue,
            reasons=dict(found.book.transfer_reasons),
            agent_targets=agent_targets,
            flow_targets=flow_targets,
            flow_titles=flow_titles,
            declarations=found,
        )


def qualify(flow: str, ref: str) -> str:
    """Return a state reference as flow.state (a bare name is local to its flow)."""
    return ref if "." in ref else f"{flow}.{ref}"


def build_target(flow: str, declared: Any, advisor: str) -> Target:
    """Turn `state`, `{goto: state, set: {...}}` or `{transfer: reason}` into a Target."""
    if isinstance(declared, schema.Transfer):
        return Target(advisor, transfer=declared.transfer)
    if isinstance(declared, schema.Goto):
        return Target(qualify(flow, declared.goto), set=dict(declared.set))
    return Target(qualify(flow, declared))


def build_state(flow: str, name: str, declared: Any, advisor: str, requires: frozenset[str]) -> State:
    """Turn one checked state declaration (a Menu, Entry, Say, Action, Dial or End) into a State."""

    def target(key: str) -> Target | None:
        value = getattr(declared, key, None)
        return None if value is None else build_target(flow, value, advisor)

    def targets(key: str) -> dict[str, Target]:
        return {k: build_target(flow, v, advisor) for k, v in (getattr(declared, key, None) or {}).items()}

    def miss(value: Any) -> Miss:
        if isinstance(value, list):
            return Miss(reprompts=tuple(value))
        return Miss(leave=build_target(flow, value, advisor))

    kind = KIND_OF[type(declared)]
    prompts = getattr(declared, PROMPTS_OF[kind], None) if kind in PROMPTS_OF else None
    listen = getattr(declared, "input", None)
    return State(
        name=f"{flow}.{name}",
        kind=kind,
        prompts=tuple(prompts or ()),
        params=getattr(declared, "params", None),
        keys=targets("keys"),
        more_languages=target("more_languages"),
        expect=getattr(declared, "expect", None),
        save=getattr(declared, "save", None),
        input=listen.model_dump(exclude_none=True) if listen is not None else {},
        next=target("next"),
        misses={which: miss(getattr(declared, which)) for which in MISS_KINDS if getattr(declared, which, None)},
        max_attempts=target("max_attempts"),
        action=getattr(declared, "action", None),
        outcomes=targets("outcomes"),
        answered=target("answered"),
        unanswered=target("unanswered"),
        requires=requires,
        title=getattr(declared, "title", None),
        untestable=dict(declared.untestable),
    )


def transfer_reasons(directory: Path = FLOWS_DIR) -> frozenset[str]:
    """Return the transfer reasons flows/_book.yaml declares (none when it cannot be read: load() tells why)."""
    source, _ = sources.read_source(directory / schema.BOOK_FILE)
    book, _ = schema.validate(source, schema.BookFile, source.data) if source.root is not None else (None, [])
    return frozenset(book.transfer_reasons) if book is not None else frozenset()
