"""Names that lead nowhere: states, transfer reasons, actions and their outcomes, validators, params providers,
slots and prompt keys that the flow declarations name, checked against what the code and the catalog provide."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

from pydantic import (
    BaseModel,
)

from ivr.flows import registry
from ivr.flows.schema import BOOK_FILE, Action, Declarations, Entry, Goto, Transfer, read_declarations
from ivr.speech.catalog import LANGUAGES


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
    for name in ("next", "more_languages", "max_attempts", "answered", "unanswered", "no_input", "invalid"):
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
