"""Refuse flow declarations with holes: checked when loaded, like a state machine definition."""

from __future__ import annotations

from ivr.callflow import catalog_checks
from ivr.flows.loader import ADVISOR, ENTRY, FlowBook, FlowError, State, Target
from ivr.flows.registry import ACTIONS, PARAMS, TRANSFER_REASONS, VALIDATORS
from ivr.speech.catalog import LANGUAGES, Catalog, placeholders

RESERVED_KEYS = {"*": "repeat", "0": "advisor", "#": "end of input"}


def check(book: FlowBook, catalog: Catalog) -> None:
    """Raise FlowError listing every problem of the book, or return quietly."""
    problems: list[str] = []
    for name in (ENTRY, ADVISOR):
        if name not in book:
            problems.append(f"missing required state {name}")
    for state in book.states.values():
        problems += [f"{state.name}: {p}" for p in check_state(state, book, catalog)]
    problems += check_reachable(book)
    problems += check_no_silent_loops(book)
    problems += [
        f"prompt {key!r}: no flow, action or code uses it" for key in catalog_checks.unused_keys(catalog, book)
    ]
    if problems:
        raise FlowError("flows refused:\n  " + "\n  ".join(problems))


def check_state(state: State, book: FlowBook, catalog: Catalog) -> list[str]:
    """Return the problems of one state."""
    problems = [p for t in state.exits() for p in check_target(t, book)]
    problems += check_prompts(state, catalog)
    checker = {"ask": check_question, "say": check_say, "action": check_action, "dial": check_dial, "end": check_end}
    return problems + checker[state.kind](state)


def check_target(target: Target, book: FlowBook) -> list[str]:
    """Return the problems of one transition target."""
    problems = [] if target.state in book else [f"leads to unknown state {target.state}"]
    if target.transfer is not None and target.transfer not in TRANSFER_REASONS:
        problems.append(f"unknown transfer reason {target.transfer!r}")
    if "language" in target.set and target.set["language"] not in LANGUAGES:
        problems.append(f"sets unknown language {target.set['language']!r}")
    return problems


def check_prompts(state: State, catalog: Catalog) -> list[str]:
    """Check prompt keys exist and their placeholders are all provided."""
    keys = state.prompt_keys() | (ACTIONS[state.action].prompts if state.action in ACTIONS else set())
    problems = [f"prompt {key!r} is not in the catalog" for key in sorted(keys) if not catalog.has(key)]
    if state.params is not None and state.params not in PARAMS:
        return problems + [f"unknown params provider {state.params!r}"]
    provided = PARAMS[state.params].names if state.params else frozenset()
    for key in sorted(state.prompt_keys()):
        if catalog.has(key):
            missing = placeholders(catalog.texts[LANGUAGES[0]][key]) - provided
            problems += [f"prompt {key!r} needs {sorted(missing)} that nothing provides"] if missing else []
    return problems


def check_question(state: State) -> list[str]:
    """A question asks something, has its answers, and all three ways of failing."""
    problems = [] if state.prompts else ["asks nothing"]
    if state.keys and state.expect:
        problems.append("is both a menu (keys) and an entry (expect)")
    if state.expect:
        if state.expect not in VALIDATORS:
            problems.append(f"unknown validator {state.expect!r}")
        if not (state.next and state.save):
            problems.append("an entry needs next and save")
    for key in state.keys:
        if key in RESERVED_KEYS or len(key) != 1 or not key.isdigit():
            problems.append(f"key {key!r} is not a free keypad digit (* and 0 are global)")
    for kind in ("no_input", "invalid"):
        miss = state.misses.get(kind)
        if miss is None:
            problems.append(f"has no {kind} exit")
        elif not miss.leave and len(miss.reprompts) != 2:
            problems.append(f"{kind} needs two reprompts (short, then full) or a target")
    if state.max_attempts is None:
        problems.append("has no max_attempts exit")
    return problems


def check_say(state: State) -> list[str]:
    return ([] if state.prompts else ["says nothing"]) + ([] if state.next else ["has no next"])


def check_action(state: State) -> list[str]:
    if state.action not in ACTIONS:
        return [f"unknown action {state.action!r}"]
    declared, handled = ACTIONS[state.action].outcomes, set(state.outcomes)
    problems = [f"does not handle outcome {o!r}" for o in sorted(declared - handled)]
    return problems + [f"handles unknown outcome {o!r}" for o in sorted(handled - declared)]


def check_dial(state: State) -> list[str]:
    return [] if state.answered and state.unanswered else ["a dial needs answered and unanswered"]


def check_end(state: State) -> list[str]:
    return ([] if state.prompts else ["ends without a word"]) + (["an end has exits"] if state.exits() else [])


def check_reachable(book: FlowBook) -> list[str]:
    """Every state must be reachable from the call's entry or from the advisor transfer."""
    seen, todo = set(), [ENTRY, ADVISOR]
    while todo:
        name = todo.pop()
        if name in seen or name not in book:
            continue
        seen.add(name)
        todo += [t.state for t in book[name].exits()]
    return [f"{name}: unreachable" for name in sorted(set(book.states) - seen)]


def check_no_silent_loops(book: FlowBook) -> list[str]:
    """Refuse a cycle of states that never wait for the caller: it would spin within one request."""
    passing = {n for n, s in book.states.items() if s.kind in ("say", "action")}
    graph = {n: [t.state for t in book[n].exits() if t.state in passing] for n in passing}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [" -> ".join(path[path.index(name) :] + [name])]
        if name in done:
            return []
        found = [cycle for nxt in graph[name] for cycle in visit(nxt, path + [name])]
        done.add(name)
        return found

    return [f"loop without input: {cycle}" for start in sorted(passing) for cycle in visit(start, [])]
