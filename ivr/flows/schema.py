"""The strict form of the flow declarations: every key known, every value of its type, every name declared.

flows/_book.yaml says what the flows share (where a call starts, the advisors' entry and queue, the transfer
reasons); every other flows/<name>.yaml declares the flow <name>. Reading them here refuses an unknown key, a
value of the wrong type and a name that leads nowhere, each as `file:line: why`, all of them at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import yaml
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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.speech.catalog import LANGUAGES

BOOK_FILE = "_book.yaml"
AGENT_LANGUAGES = ("en", "fr", "ar")  # the console shows en; fr and ar are for the agents who read them
KINDS = ("ask", "say", "action", "dial", "end")
FREE_KEYS = "123456789"  # * repeats, 0 is the advisor and # ends an entry, at every question
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --- The YAML, with where each thing was written ---------------------------------------------------------------


@dataclass
class Source:
    """One declaration file: its data, and the YAML nodes that tell the line of each key."""

    path: Path
    data: Any
    root: Node | None

    @property
    def shown(self) -> str:
        return shown_path(self.path)

    def line(self, loc: tuple[Any, ...] = ()) -> int:
        """Return the line of the deepest key of a path through the document that was written."""
        node, line = self.root, 1 if self.root is None else self.root.start_mark.line + 1
        for part in loc:
            if isinstance(part, str) and (part.startswith("<") or part == "[key]"):
                continue  # a kind or a target's form, or pydantic's mark of a mapping key: not written
            if isinstance(node, MappingNode):
                found = next(
                    ((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)), None
                )
                if found is None:
                    break
                node, line = found[1], found[0].start_mark.line + 1
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def at(self, loc: tuple[Any, ...] = ()) -> str:
        return f"{self.shown}:{self.line(loc)}"


def shown_path(path: Path) -> str:
    """Return a path as a problem names it: relative to the working directory when it lies within."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_source(path: Path) -> tuple[Source, list[str]]:
    """Read a YAML file with the line of each node; return it with its syntax problems and repeated keys."""
    shown = shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return Source(path, None, None), [f"{shown}:1: cannot read: {error}"]
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return Source(path, None, None), [f"{shown}:{mark.line + 1 if mark else 1}: not YAML: {error.problem}"]
    except yaml.YAMLError as error:
        return Source(path, None, None), [f"{shown}:1: not YAML: {error}"]
    finally:
        loader.dispose()
    if root is None:
        return Source(path, None, None), [f"{shown}:1: empty: nothing is declared"]
    return Source(path, data, root), [f"{shown}:{line}: {why}" for line, why in repeated_keys(root)]


def repeated_keys(node: Node | None) -> Iterator[tuple[int, str]]:
    """Yield every key written twice in one mapping (YAML would keep the last one silently)."""
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first:
                    yield line, f"key {key.value!r} written twice (first on line {first[key.value]})"
                first.setdefault(key.value, line)
            yield from repeated_keys(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from repeated_keys(item)


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


class StateBase(Strict):
    # What an agent's transfer to this state needs, besides what its flow requires.
    requires: Requirements = []


class Menu(StateBase):
    """A question answered by one key: `ask`, its `keys`, and its three ways of failing."""

    ask: PromptKeys
    params: Name | None = None
    keys: dict[MenuKey, Target]
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


class Texts(Strict):
    """What agents read, in each of their languages."""

    en: Text
    fr: Text
    ar: Text


class AgentTarget(Texts):
    """A state of this flow an agent may send a call to, with what the console says of it."""

    state: Name


class FlowFile(Strict):
    """flows/<name>.yaml: one flow (its states are validated one by one, as STATE)."""

    flow: Name
    # What an agent's transfer into any state of this flow needs: an identified person, a registration.
    requires: Requirements = []
    agent_targets: list[AgentTarget] = []
    states: Annotated[dict[KeyName, Any], Field(min_length=1)]


STATE: TypeAdapter[Any] = TypeAdapter(State)


@dataclass
class Flow:
    """One flow's declarations: its well-formed states, and the names of all it declares (to resolve targets)."""

    name: str
    read: bool = True  # False when its states could not be read: what it declares is unknown, not missing
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
}


def model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """Return the model of the mapping a path leads into (the nearest kind, form or known field back)."""
    found: type[BaseModel] = next(
        (_MODEL_AT[part] for part in reversed(loc) if isinstance(part, str) and part in _MODEL_AT), root
    )
    return found


# --- Pydantic's errors as problems of a file -----------------------------------------------------------------------

CUSTOM_ERRORS = frozenset({"quote", "reserved_key", "target", "reprompts", "dial", "state", "state_kind"})


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
        else:
            why = f"{last!r} is required" + (f" in {inside}" if inside else "")
    elif kind in CUSTOM_ERRORS:
        why = (f"{dotted(parts)}: " if parts and kind in ("target", "reprompts", "dial") else "") + error["msg"]
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


# --- Names that lead nowhere -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The names the code provides to the flows (ivr.flows.registry), as the checks need them."""

    actions: Mapping[str, frozenset[str]]  # action -> its outcomes
    action_prompts: Mapping[str, frozenset[str]]  # action -> the prompt keys it says itself
    params: Mapping[str, frozenset[str]]  # params provider -> the placeholders it fills
    validators: Collection[str]
    slots: Mapping[str, frozenset[str] | None] | None = None  # slot -> its values (None: any), None: unchecked
    code_reasons: Collection[str] = ()  # transfer reasons the code itself gives

    @classmethod
    def registered(cls) -> Names:
        """Return what ivr.flows.registry holds (import the actions package first, to fill it)."""
        from ivr.flows import registry

        return cls(
            actions={name: a.outcomes for name, a in registry.ACTIONS.items()},
            action_prompts={name: a.prompts for name, a in registry.ACTIONS.items()},
            params={name: p.names for name, p in registry.PARAMS.items()},
            validators=frozenset(registry.VALIDATORS),
            # A registry where no code says which slots it reads checks none (a test's, say).
            slots=dict(registry.SLOTS) or None,
            code_reasons=registry.CODE_TRANSFER_REASONS,
        )


def qualify(flow: str, ref: str) -> str:
    """Return a state reference as flow.state (a bare name is local to its flow)."""
    return ref if "." in ref else f"{flow}.{ref}"


def closest(name: str, known: Collection[str]) -> str:
    near = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def targets_of(state: BaseModel) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield every transition of a state, with its path within the state."""
    for name in ("next", "max_attempts", "answered", "unanswered", "no_input", "invalid"):
        value = getattr(state, name, None)
        if value is not None and not isinstance(value, list):
            yield (name,), value
    for name in ("keys", "outcomes"):
        for key, value in (getattr(state, name, None) or {}).items():
            yield (name, key), value


def prompts_of(state: BaseModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield every prompt key a state says, with its path within the state."""
    for name in ("ask", "say", "end"):
        for index, key in enumerate(getattr(state, name, None) or []):
            yield ((name,) if len(getattr(state, name)) == 1 else (name, index)), key
    for name in ("no_input", "invalid"):
        value = getattr(state, name, None)
        if isinstance(value, list):
            for index, key in enumerate(value):
                yield (name, index), key


def reference_problems(found: Declarations, names: Names | None = None, catalog: Any = None) -> list[str]:
    """Return every name of the declarations that leads nowhere, as `file:line: why`.

    Without names, the registry's names are not checked; without a catalog (an object with `texts`, by language
    then key), the prompt keys are not.
    """
    problems: list[str] = []
    # Every state written, even one refused for its shape: what leads to it leads somewhere.
    declared = {
        f"{flow}.{name}": kind for flow, found_flow in found.flows.items() for name, kind in found_flow.declared.items()
    }
    # A flow whose states could not be read declares what it declares: names into it do not lead nowhere.
    declared = DeclaredStates(declared, {flow for flow, found_flow in found.flows.items() if not found_flow.read})
    reasons = set(found.book.transfer_reasons) if found.book else None
    for flow, found_flow in found.flows.items():
        for name, state in found_flow.states.items():
            qualified = f"{flow}.{name}"
            for loc, why in state_problems(flow, state, declared, reasons, names, catalog):
                problems.append(f"{found.state_at(qualified, *loc)}: {qualified}: {why}")
    return problems + book_problems(found, declared, names)


class DeclaredStates(dict[str, str]):
    """Every declared state's kind, by qualified name; a name into a flow whose file is not YAML counts as declared
    (of no known kind)."""

    def __init__(self, declared: Mapping[str, str], unread: set[str]):
        super().__init__(declared)
        self.unread = unread

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (isinstance(name, str) and name.split(".", 1)[0] in self.unread)

    def __getitem__(self, name: str) -> str:
        return super().get(name, "<no kind>")


def state_problems(
    flow: str,
    state: BaseModel,
    declared: Mapping[str, str],
    reasons: set[str] | None,
    names: Names | None,
    catalog: Any,
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield the names of one state that lead nowhere, with their paths within the state."""
    for loc, target in targets_of(state):
        for why in target_problems(flow, target, declared, reasons):
            yield loc, why
        for slot, value in target.set.items() if isinstance(target, Goto) else ():
            refused = slot_problem(slot, value, names)
            if refused:
                yield (*loc, "set", slot), refused
    if names is not None:
        yield from named_problems(state, names)
    if catalog is not None:
        yield from prompt_problems(state, catalog, names)


def target_problems(flow: str, target: Any, states: Mapping[str, Any], reasons: set[str] | None) -> list[str]:
    if isinstance(target, Transfer):
        if reasons is not None and target.transfer not in reasons:
            return [
                f"unknown transfer reason {target.transfer!r}{closest(target.transfer, reasons)}"
                f" (the reasons are declared in {BOOK_FILE})"
            ]
        return []
    name = qualify(flow, target if isinstance(target, str) else target.goto)
    if name not in states:
        return [f"leads to unknown state {name}{closest(name, states)}"]
    return []


def slot_problem(slot: str, value: str, names: Names | None) -> str | None:
    if slot == "language":
        return None if value in LANGUAGES else f"sets unknown language {value!r} (one of {', '.join(LANGUAGES)})"
    if names is None or names.slots is None:
        return None
    if slot not in names.slots:
        return f"sets slot {slot!r} that no action or params reads{closest(slot, names.slots)}"
    allowed = names.slots[slot]
    if allowed is not None and value not in allowed:
        return f"sets slot {slot!r} to {value!r}, not one of {', '.join(sorted(allowed))}"
    return None


def named_problems(state: BaseModel, names: Names) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield the action, validator, params and saved slot names the code does not provide."""
    if isinstance(state, Action):
        if state.action not in names.actions:
            yield ("action",), f"unknown action {state.action!r}{closest(state.action, names.actions)}"
        else:
            declared, handled = names.actions[state.action], set(state.outcomes)
            for outcome in sorted(declared - handled):
                yield ("outcomes",), f"does not handle outcome {outcome!r} of {state.action}"
            for outcome in sorted(handled - declared):
                yield (
                    ("outcomes", outcome),
                    (f"handles unknown outcome {outcome!r} of {state.action}{closest(outcome, declared)}"),
                )
    if isinstance(state, Entry):
        if state.expect not in names.validators:
            yield ("expect",), f"unknown validator {state.expect!r}{closest(state.expect, names.validators)}"
        if names.slots is not None and state.save not in names.slots:
            near = closest(state.save, names.slots)
            yield ("save",), f"saves slot {state.save!r} that no action or params reads{near}"
    params = getattr(state, "params", None)
    if params is not None and params not in names.params:
        yield ("params",), f"unknown params provider {params!r}{closest(params, names.params)}"


def prompt_problems(state: BaseModel, catalog: Any, names: Names | None) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Yield the prompt keys missing from the catalog, in any language, and placeholders nothing fills."""
    from string import Formatter

    languages = list(catalog.texts)
    said = list(prompts_of(state))
    if isinstance(state, Action) and names is not None:
        said += [(("action",), key) for key in sorted(names.action_prompts.get(state.action, ()))]
    params = getattr(state, "params", None)
    if params is None:
        provided: frozenset[str] | None = frozenset()
    else:
        provided = names.params.get(params) if names is not None else None
    for loc, key in said:
        missing = [language for language in languages if key not in catalog.texts[language]]
        if len(missing) == len(languages):
            yield loc, f"prompt {key!r} is not in the catalog"
            continue
        if missing:
            yield loc, f"prompt {key!r} is missing in {', '.join(missing)}"
        if provided is None or loc[0] == "action":
            continue  # an unknown provider is named_problems' to tell
        present = next(language for language in languages if language not in missing)
        needed = {name for _, name, _, _ in Formatter().parse(catalog.texts[present][key]) if name}
        if needed - provided:
            yield loc, f"prompt {key!r} needs {sorted(needed - provided)} that nothing provides"


def book_problems(found: Declarations, states: Mapping[str, Any], names: Names | None) -> list[str]:
    """Return the problems of what the flows share, and of each flow's declarations for agents."""
    problems: list[str] = []
    book = found.book
    if book is not None:

        def refer(loc: tuple[Any, ...], name: str, role: str) -> str | None:
            if name not in states:
                problems.append(
                    f"{found.at(BOOK_FILE, *loc)}: {role} {name!r} is not a declared state (flow.state)"
                    f"{closest(name, states)}"
                )
                return None
            return name

        refer(("start",), book.start, "start")
        refer(("advisor", "transfer"), book.advisor.transfer, "advisor.transfer")
        queue = refer(("advisor", "queue"), book.advisor.queue, "advisor.queue")
        if queue and states[queue] not in ("<dial>", "<no kind>"):
            problems.append(
                f"{found.at(BOOK_FILE, 'advisor', 'queue')}: advisor.queue {queue!r} is not a dial state:"
                " calls wait for the advisors where the advisor is dialled"
            )
        undeclared = sorted(set(names.code_reasons if names else ()) - set(book.transfer_reasons))
        problems += [
            f"{found.at(BOOK_FILE, 'transfer_reasons')}: transfer reason {reason!r} is given by the code"
            " but not declared"
            for reason in undeclared
        ]
    advisor_flow = book.advisor.transfer.split(".", 1)[0] if book is not None else None
    for flow, declared in found.flows.items():
        seen: dict[str, int] = {}
        for index, target in enumerate(declared.agent_targets):
            loc = ("agent_targets", index, "state")
            name = qualify(flow, target.state)
            if "." in target.state and not target.state.startswith(f"{flow}."):
                problems.append(
                    f"{found.at(flow, *loc)}: agent target {target.state!r} is not in flow {flow}:"
                    " a flow lists its own states"
                )
            elif name not in states:
                local = [s.split(".", 1)[1] for s in states if s.startswith(f"{flow}.")]
                problems.append(
                    f"{found.at(flow, *loc)}: agent target {target.state!r} is not a state of {flow}"
                    f"{closest(target.state, local)}"
                )
            elif flow == advisor_flow:
                problems.append(
                    f"{found.at(flow, *loc)}: agent target {name}: agents cannot send a call to the advisors' own flow"
                )
            if name in seen:
                problems.append(f"{found.at(flow, *loc)}: agent target {name} listed twice")
            seen.setdefault(name, index)
    return problems


def problems(directory: Path, names: Names | None = None, catalog: Any = None) -> list[str]:
    """Return every problem of a flows folder's shape and names, as `file:line: why`, in file and line order."""
    found = read_declarations(directory)
    return sort_problems(found.problems + reference_problems(found, names, catalog))


def sort_problems(found: list[str]) -> list[str]:
    def order(problem: str) -> tuple[str, int]:
        file, _, rest = problem.partition(":")
        line = rest.split(":", 1)[0]
        return file, int(line) if line.isdigit() else 0

    return sorted(dict.fromkeys(found), key=order)
