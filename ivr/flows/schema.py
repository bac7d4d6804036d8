"""The strict form of the flow declarations: every key known, every value of its type, every name declared.

flows/_book.yaml says what the flows share (where a call starts, the advisors' entry and queue, the transfer
reasons); every other flows/<name>.yaml declares the flow <name>. Reading them here refuses an unknown key, a
value of the wrong type and a name that leads nowhere, each as `file:line: why`, all of them at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from ivr.flows.sources import Source, read_source, shown_path

BOOK_FILE = "_book.yaml"
AGENT_LANGUAGES = ("en", "fr", "ar")  # the console shows en; fr and ar are for the agents who read them
KINDS = ("ask", "say", "action", "dial", "end")
FREE_KEYS = "123456789"  # * repeats, 0 is the advisor and # ends an entry, at every question


# --- The declarations' shape ---------------------------------------------------------------------------------------


class Strict(BaseModel):
    """Every key known, no value converted from another type."""

    model_config = ConfigDict(extra="forbid", strict=True)


def refuse(kind: str, message: str) -> NoReturn:
    """Refuse a value with a message of ours (written out: pydantic would fill in only {names} of a context)."""
    raise PydanticCustomError(kind, message)


def one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Text = Annotated[str, Field(min_length=1)]
PromptKeys = Annotated[list[Text], BeforeValidator(one_or_more), Field(min_length=1)]


def quoted(what: str) -> Callable[[Any], Any]:
    """Refuse a number or a boolean where text is expected, saying how to write it as text."""

    def check(value: Any) -> Any:
        if isinstance(value, (bool, int, float)):
            read = "a boolean (yes, no, on, off, true, false)" if isinstance(value, bool) else "a number"
            refuse("quote", f'{what} {value} must be quoted ("{value}"): YAML reads it as {read}')
        return value

    return check


def free_key(value: str) -> str:
    if len(value) != 1 or value not in FREE_KEYS:
        refuse("reserved_key", f"key {value!r} is not a free keypad digit (* and 0 are global)")
    return value


MenuKey = Annotated[str, BeforeValidator(quoted("key")), AfterValidator(free_key)]
KeyName = Annotated[str, BeforeValidator(quoted("key")), Field(min_length=1)]
Name = Annotated[str, Field(min_length=1)]
Slots = dict[KeyName, Annotated[str, BeforeValidator(quoted("value"))]]


class Goto(Strict):
    """`{goto: state, set: {slot: value}}`: go to a state, setting slots on the way."""

    goto: Text
    set: Slots = {}


class Transfer(Strict):
    """`{transfer: reason}`: go to the advisors, for one of the book's transfer reasons."""

    transfer: Text


def not_a_target(value: Any) -> Any:
    refuse(
        "target",
        f"a target is a state name, {{goto: state, set: {{slot: value}}}} or {{transfer: reason}}, not {value!r}",
    )


def target_form(value: Any) -> str:
    if isinstance(value, str):
        return "<state>"
    if isinstance(value, dict) and "transfer" in value:
        return "<transfer>"
    if isinstance(value, dict) and "goto" in value:
        return "<goto>"
    return "<not a target>"


Target = Annotated[
    Annotated[Text, Tag("<state>")]
    | Annotated[Goto, Tag("<goto>")]
    | Annotated[Transfer, Tag("<transfer>")]
    | Annotated[Any, AfterValidator(not_a_target), Tag("<not a target>")],
    Discriminator(target_form),
]


def two_reprompts(value: list[str]) -> list[str]:
    if len(value) != 2:
        refuse("reprompts", f"needs two reprompts (short, then full) or a target, not {len(value)}")
    return value


Miss = Annotated[
    Annotated[list[Text], AfterValidator(two_reprompts), Tag("<reprompts>")] | Annotated[Target, Tag("<leave>")],
    Discriminator(lambda value: "<reprompts>" if isinstance(value, list) else "<leave>"),
]


class Input(Strict):
    """How a question listens: how many keys at most, which key ends the input, how long to wait (seconds)."""

    num_digits: Annotated[int, Field(ge=1, le=40)] | None = None
    finish_on_key: Annotated[str, Field(pattern=r"^[0-9#*]?$")] | None = None
    timeout: Annotated[int, Field(ge=1, le=60)] | None = None


Requirements = list[Literal["person", "registration"]]


class Texts(Strict):
    """What agents read, in each of their languages."""

    en: Text
    fr: Text
    ar: Text


def some_words(value: str) -> str:
    if not value.strip():
        refuse("untestable", "needs a reason: why no scenario can drive this transition, and what tests it instead")
    return value


# A transition of the state, named where the state declares it: keys.<key>, more_languages, next,
# outcomes.<outcome>, no_input, invalid, max_attempts, answered, unanswered (transition_names).
TransitionName = Annotated[str, BeforeValidator(quoted("transition")), Field(min_length=1)]
Reason = Annotated[str, BeforeValidator(quoted("reason")), AfterValidator(some_words)]


class StateBase(Strict):
    # What an agent's transfer to this state needs, besides what its flow requires.
    requires: Requirements = []
    # Where a call stood, in the agents' words, when it reached the advisors from here (when the flow's title is
    # not precise enough: the birth-date question of the identity check).
    title: Texts | None = None
    # Transitions no scenario can drive, each with why (`replay --coverage` and the suite do not ask for them).
    untestable: dict[TransitionName, Reason] = {}


class Menu(StateBase):
    """A question answered by one key: `ask`, its `keys`, and its three ways of failing."""

    ask: PromptKeys
    params: Name | None = None
    keys: dict[MenuKey, Target]
    # Where the menu key of a language recorded by the studio alone goes, setting that language, once the
    # language is offered (prompts/<lang>/_voice.yaml declares it and its key; ivr/audio/offered.py).
    more_languages: Target | None = None
    input: Input | None = None
    no_input: Miss
    invalid: Miss
    max_attempts: Target


class Entry(StateBase):
    """A question answered by typed digits: `ask`, a validator to `expect`, the slot to `save` them in, `next`."""

    ask: PromptKeys
    params: Name | None = None
    expect: Name
    save: Name
    input: Input | None = None
    next: Target
    no_input: Miss
    invalid: Miss
    max_attempts: Target


class Say(StateBase):
    say: PromptKeys
    params: Name | None = None
    next: Target


class Action(StateBase):
    action: Name
    outcomes: dict[KeyName, Target]


def only_the_advisor(value: Any) -> Any:
    if value != "advisor":
        refuse("dial", f"only the advisor can be dialled (dial: advisor, at ADVISOR_NUMBER), not {value!r}")
    return value


class Dial(StateBase):
    """Say something (`say`), then dial the advisor; `answered` and `unanswered` say where the call goes after."""

    say: PromptKeys | None = None
    params: Name | None = None
    dial: Annotated[Any, AfterValidator(only_the_advisor)]
    answered: Target
    unanswered: Target


class End(StateBase):
    end: PromptKeys
    params: Name | None = None


KIND_MODELS: dict[str, type[BaseModel]] = {
    "<menu>": Menu,
    "<entry>": Entry,
    "<say>": Say,
    "<action>": Action,
    "<dial>": Dial,
    "<end>": End,
}
KIND_NAMES = {
    "<menu>": "a menu (ask with keys)",
    "<entry>": "an entry (ask with expect)",
    "<say>": "a say state",
    "<action>": "an action state",
    "<dial>": "a dial state",
    "<end>": "an end state",
}


def kinds_in(value: dict) -> list[str]:
    # A dial may say something first: its `say` is its prompt, not a kind of its own.
    return [kind for kind in KINDS if kind in value and not (kind == "say" and "dial" in value)]


def state_kind(value: Any) -> str:
    if not isinstance(value, dict) or len(kinds_in(value)) != 1:
        return "<no kind>"
    kind = kinds_in(value)[0]
    return f"<{'entry' if 'expect' in value else 'menu'}>" if kind == "ask" else f"<{kind}>"


def no_kind(value: Any) -> Any:
    if not isinstance(value, dict):
        refuse("state", f"a state is a mapping that declares one of ask, say, action, dial, end; not {value!r}")
    found = kinds_in(value)
    refuse("state_kind", f"declare exactly one of ask, say, action, dial, end (found {', '.join(found) or 'none'})")


State = Annotated[
    Annotated[Menu, Tag("<menu>")]
    | Annotated[Entry, Tag("<entry>")]
    | Annotated[Say, Tag("<say>")]
    | Annotated[Action, Tag("<action>")]
    | Annotated[Dial, Tag("<dial>")]
    | Annotated[End, Tag("<end>")]
    | Annotated[Any, AfterValidator(no_kind), Tag("<no kind>")],
    Discriminator(state_kind),
]


class AgentTarget(Texts):
    """A state of this flow an agent may send a call to, with what the console says of it."""

    state: Name


class FlowFile(Strict):
    """flows/<name>.yaml: one flow (its states are validated one by one, as STATE)."""

    flow: Name
    # What the flow is, in the agents' words (en, fr, ar): where a call stood when it reached the advisors.
    title: Texts
    # What an agent's transfer into any state of this flow needs: an identified person, a registration.
    requires: Requirements = []
    agent_targets: list[AgentTarget] = []
    states: Annotated[dict[KeyName, Any], Field(min_length=1)]


STATE: TypeAdapter[Any] = TypeAdapter(State)
SINGLE_TRANSITIONS = ("more_languages", "next", "no_input", "invalid", "max_attempts", "answered", "unanswered")


def transition_names(state: BaseModel) -> list[str]:
    """Return the names of a declared state's transitions, as `untestable` writes them (where the state declares
    each): keys.<key>, outcomes.<outcome>, then more_languages, next, no_input, invalid, max_attempts, answered,
    unanswered."""
    names = [f"keys.{key}" for key in getattr(state, "keys", None) or {}]
    names += [f"outcomes.{outcome}" for outcome in getattr(state, "outcomes", None) or {}]
    return names + [name for name in SINGLE_TRANSITIONS if getattr(state, name, None) is not None]


def untestable_problems(source: Source, name: str, state: BaseModel) -> list[str]:
    """Return a problem for each transition a state marks untestable that it does not have."""
    known = transition_names(state)
    problems = []
    for marked in getattr(state, "untestable", {}):
        if marked not in known:
            near = difflib.get_close_matches(marked, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f" (its transitions: {', '.join(known) or 'none'})"
            problems.append(
                f"{source.at(('states', name, 'untestable', marked))}: {source.path.stem}.{name}: untestable:"
                f" {marked!r} is not a transition of this state{hint}"
            )
    return problems


@dataclass
class Flow:
    """One flow's declarations: its well-formed states, and the names of all it declares (to resolve targets)."""

    name: str
    read: bool = True  # False when its states could not be read: what it declares is unknown, not missing
    title: Texts | None = None  # None when the file's header could not be read
    requires: list[str] = field(default_factory=list)
    agent_targets: list[AgentTarget] = field(default_factory=list)
    states: dict[str, Any] = field(default_factory=dict)  # name -> Menu, Entry, Say, Action, Dial or End
    declared: dict[str, str] = field(default_factory=dict)  # every state name -> its kind tag ("<no kind>"...)


class Advisor(Strict):
    transfer: Name  # where every transfer to the advisors enters
    queue: Name  # the dial state where calls wait for or talk with an advisor


class BookFile(Strict):
    """flows/_book.yaml: what the flows share."""

    start: Name
    advisor: Advisor
    transfer_reasons: Annotated[dict[KeyName, Texts], Field(min_length=1)]


# Which model a key that is not known was written in, found from the end of its path.
_MODEL_AT: dict[str, type[BaseModel]] = {
    **KIND_MODELS,
    "<goto>": Goto,
    "<transfer>": Transfer,
    "input": Input,
    "advisor": Advisor,
    "agent_targets": AgentTarget,
    "transfer_reasons": Texts,
    "title": Texts,
}


def model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """Return the model of the mapping a path leads into (the nearest kind, form or known field back)."""
    found: type[BaseModel] = next(
        (_MODEL_AT[part] for part in reversed(loc) if isinstance(part, str) and part in _MODEL_AT), root
    )
    return found


# --- Pydantic's errors as problems of a file -----------------------------------------------------------------------

CUSTOM_ERRORS = frozenset({"quote", "reserved_key", "target", "reprompts", "dial", "state", "state_kind", "untestable"})


def written(loc: tuple[Any, ...]) -> list[Any]:
    """Return the parts of an error's path that are keys or indexes of the file (not pydantic's marks)."""
    return [part for part in loc if not (isinstance(part, str) and part.startswith("<")) and part != "[key]"]


def dotted(parts: list[Any]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")


def describe(error: dict, source: Source, root: type[BaseModel]) -> str:
    """Turn one pydantic error into `file:line: why` (with flow.state when it is within a state)."""
    loc = tuple(error["loc"])
    subject, parts = "", written(loc)
    if root is FlowFile and len(parts) >= 2 and parts[0] == "states":
        subject, parts = f"{source.path.stem}.{parts[1]}: ", parts[2:]
    kind, last, inside = error["type"], parts[-1] if parts else "", dotted(parts[:-1])
    if kind == "extra_forbidden":
        known = sorted(model_at(root, loc[:-1]).model_fields)
        near = difflib.get_close_matches(str(last), known, n=1)
        tag = next((part for part in reversed(loc) if part in KIND_NAMES), None)
        where = f" in {inside}" if inside else f" for {KIND_NAMES[tag]}" if tag else ""
        hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(known)})"
        why = f"unknown key {last!r}{where}{hint}"
    elif kind == "missing":
        if last in ("no_input", "invalid", "max_attempts") and not inside:
            why = f"has no {last} exit"
        elif last == "title" and not inside and root is FlowFile and not subject:
            why = "'title' is required: what the flow is, in the agents' words (en, fr, ar)"
        else:
            why = f"{last!r} is required" + (f" in {inside}" if inside else "")
    elif kind in CUSTOM_ERRORS:
        why = (f"{dotted(parts)}: " if parts and kind in ("target", "reprompts", "dial", "untestable") else "") + error[
            "msg"
        ]
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
        what = f"{dotted(parts)}: " if parts else ""
        why = f"{what}{'a key ' if loc and loc[-1] == '[key]' else ''}{message}, not {error['input']!r}"
    return f"{source.at(loc)}: {subject}{why}"


def validate(
    source: Source,
    model: type[BaseModel] | TypeAdapter[Any],
    data: Any,
    loc: tuple[Any, ...] = (),
    root: type[BaseModel] = BaseModel,
) -> tuple[Any, list[str]]:
    """Return data as a model, or None with every problem of its shape (data found at loc in the file; root is
    the model of the whole file)."""
    try:
        checked = model.validate_python(data) if isinstance(model, TypeAdapter) else model.model_validate(data)
        return checked, []
    except ValidationError as refused:
        whole = model if isinstance(model, type) else root
        return None, [describe({**error, "loc": (*loc, *error["loc"])}, source, whole) for error in refused.errors()]


def validate_flow(source: Source) -> tuple[Flow, list[str]]:
    """Validate a flow's file, then each of its states on its own: a broken state leaves the others checked."""
    flow = Flow(source.path.stem)
    if source.root is None:
        flow.read = False
        return flow, []
    header, problems = validate(source, FlowFile, source.data)
    if header is not None:
        flow.requires, flow.agent_targets = list(header.requires), list(header.agent_targets)
        flow.title = header.title
        if header.flow != flow.name:
            problems.append(
                f"{source.at(('flow',))}: declares flow {header.flow!r} in {source.path.name}:"
                f" a flow's file is named after it ({header.flow}.yaml)"
            )
    states = source.data.get("states") if isinstance(source.data, dict) else None
    # Without a mapping of states, what the flow declares is unknown: names into it are not told as leading nowhere.
    flow.read = isinstance(states, dict)
    for name, spec in states.items() if isinstance(states, dict) else ():
        if not isinstance(name, str):
            continue  # the header's problem
        flow.declared[name] = state_kind(spec)
        state, state_problems = validate(source, STATE, spec, ("states", name), FlowFile)
        problems += state_problems
        if state is not None:
            flow.states[name] = state
            problems += untestable_problems(source, name, state)
    return flow, problems


# --- The whole book -------------------------------------------------------------------------------------------------


@dataclass
class Declarations:
    """Every declaration file of a flows folder, validated, with where each was written."""

    directory: Path
    book: BookFile | None = None
    flows: dict[str, Flow] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)  # by flow name, and BOOK_FILE
    problems: list[str] = field(default_factory=list)

    def at(self, flow: str, *loc: Any) -> str:
        """Return `file:line` of a path within a flow's file (or the book's, for BOOK_FILE)."""
        return self.sources[flow].at(loc)

    def state_at(self, qualified: str, *loc: Any) -> str:
        flow, state = qualified.split(".", 1)
        return self.at(flow, "states", state, *loc)


def read_declarations(directory: Path) -> Declarations:
    """Read and validate flows/_book.yaml and every flows/<name>.yaml; gather every problem of their shape."""
    found = Declarations(directory)
    book_path = directory / BOOK_FILE
    if not book_path.is_file():
        found.problems.append(f"{shown_path(book_path)}:1: missing: it declares start, advisor and transfer_reasons")
    else:
        source, problems = read_source(book_path)
        found.sources[BOOK_FILE] = source
        found.problems += problems
        if source.root is not None:
            found.book, shape = validate(source, BookFile, source.data)
            found.problems += shape
    for path in sorted(directory.glob("*.yaml")):
        if path.name == BOOK_FILE:
            continue
        source, problems = read_source(path)
        found.sources[path.stem] = source
        found.problems += problems
        if path.name.startswith("_"):
            found.problems.append(f"{source.shown}:1: unknown file: only {BOOK_FILE} is not a flow")
            continue
        found.flows[path.stem], shape = validate_flow(source)
        found.problems += shape
    if not any(path.name != BOOK_FILE for path in directory.glob("*.yaml")):
        found.problems.append(f"{shown_path(directory)}:1: no flow declared (flows/<name>.yaml)")
    return found
