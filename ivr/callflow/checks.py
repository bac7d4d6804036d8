"""Refuse flow declarations and prompts with holes, each problem as `file:line: why`, all of them at once:
what `flask --app app flows check` prints, and what stops the app from starting.

The flows' own shape and the names they give each other are checked when they are read (ivr/flows/schema.py,
ivr/flows/loader.py); here the names the code provides (actions, validators, params, slots: ivr/flows/registry.py),
the prompt catalog, and the book as a graph: every state reachable, no loop that never waits for the caller.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ivr.callflow import catalog_checks
from ivr.flows import references, schema, sources
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.speech.catalog import PROMPTS_DIR, Catalog, CatalogError


def check(book: FlowBook, catalog: Catalog, prompts_dir: Path | None = PROMPTS_DIR) -> None:
    """Raise FlowError listing every problem of the book with the catalog, or return quietly."""
    found = problems(book, catalog, prompts_dir)
    if found:
        raise FlowError(found)


def problems(book: FlowBook, catalog: Catalog, prompts_dir: Path | None = PROMPTS_DIR) -> list[str]:
    """Return every problem of a loaded book with a catalog (the catalog's `file:line` from prompts_dir)."""
    found: list[str] = []
    if book.declarations is not None:
        found += references.reference_problems(book.declarations, references.Names.registered(), catalog)
    found += check_reachable(book)
    found += check_no_silent_loops(book)
    said_by_flows = {key for state in book.states.values() for key in state.prompt_keys()}
    found += [
        problem
        for problem in catalog_checks.problems(catalog, book, prompts_dir)
        # A key a flow says but the catalog lacks is told where the flow says it.
        if not problem.endswith(tuple(f" {key}: said, but not in the catalog" for key in said_by_flows))
    ]
    return references.sort_problems(found)


def load_checked(flows_dir: Path | None = None, prompts_dir: Path | None = None) -> tuple[FlowBook, Catalog]:
    """Load the flows and the prompts (flows/ and prompts/ unless told) and check them together; raise FlowError
    with every problem of both."""
    flows_dir, prompts_dir = flows_dir or FLOWS_DIR, prompts_dir or PROMPTS_DIR
    try:
        catalog = Catalog.load(prompts_dir, check=False)
    except (OSError, yaml.YAMLError, CatalogError, KeyError, TypeError) as error:
        raise FlowError([f"{sources.shown_path(prompts_dir)}:1: cannot read the prompts: {error}"]) from None
    found = schema.read_declarations(flows_dir)
    if found.problems or found.book is None:
        # No book to walk: the well-formed states are still checked against the code and the catalog.
        names = references.Names.registered()
        raise FlowError(references.sort_problems(found.problems + references.reference_problems(found, names, catalog)))
    book = FlowBook.load(flows_dir)
    check(book, catalog, prompts_dir)
    return book, catalog


def check_reachable(book: FlowBook) -> list[str]:
    """Every state must be reachable from the call's start or from the advisors' entry."""
    seen, todo = set(), [book.start, book.advisor]
    while todo:
        name = todo.pop()
        if name in seen or name not in book:
            continue
        seen.add(name)
        todo += [t.state for t in book[name].exits()]
    return [f"{book.where(name)}: {name}: unreachable" for name in sorted(set(book.states) - seen)]


def check_no_silent_loops(book: FlowBook) -> list[str]:
    """Refuse a cycle of states that never wait for the caller: it would spin within one request."""
    passing = {n for n, s in book.states.items() if s.kind in ("say", "action")}
    graph = {n: [t.state for t in book[n].exits() if t.state in passing] for n in passing}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[list[str]]:
        if name in path:
            return [[*path[path.index(name) :], name]]
        if name in done:
            return []
        found = [cycle for nxt in graph[name] for cycle in visit(nxt, [*path, name])]
        done.add(name)
        return found

    return [
        f"{book.where(cycle[0])}: {cycle[0]}: loop without input: {' -> '.join(cycle)}"
        for start in sorted(passing)
        for cycle in visit(start, [])
    ]
