"""CLI: the flow coverage of replayed scenarios (`replay --coverage`), as tables and as the flows drawn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ivr.cli.tables import table
from ivr.flows import diagram
from ivr.flows.transitions import Transition
from ivr.simulator.coverage import Coverage, Recorder


def report_lines(coverage: Coverage) -> list[str]:
    """Say a coverage as tables (each flow's counts; every transition, and whether it was tried), then, each at its
    file:line, the transitions never tried, those marked untestable (with why), and the states never reached."""
    every = coverage.all_transitions()
    book = coverage.book
    rows = []
    for flow in diagram.flow_names(book):
        states = [name for name in book.states if name.split(".", 1)[0] == flow]
        mine = [t for t in every if t.flow == flow]
        tried = sum(t.id in coverage.transitions for t in mine)
        marked = sum(t.id not in coverage.transitions and t.untestable is not None for t in mine)
        reached = sum(name in coverage.states for name in states)
        rows.append(
            [flow, f"{reached}/{len(states)}", f"{tried}/{len(mine)}", str(len(mine) - tried - marked), str(marked)]
        )
    lines = [f"flow coverage of {coverage.calls} call{'' if coverage.calls == 1 else 's'}:"]
    lines += table(["flow", "states", "transitions", "untried", "untestable"], rows)
    lines += [""]
    lines += table(
        ["transition", "how", "leads to", "tried"], [[t.id, t.label, t.to, _tried(coverage, t)] for t in every]
    )
    missing = coverage.missing()
    marked_untried = [t for t in coverage.untried() if t.untestable is not None]
    lines.append("")
    lines.append(f"never exercised ({len(missing)}):" if missing else "every testable transition was exercised")
    lines += [f"  {coverage.where(t)}: {t.id} ({t.label} → {t.to})" for t in missing]
    if marked_untried:
        lines.append(f"marked untestable, not exercised ({len(marked_untried)}):")
        lines += [f"  {coverage.where(t)}: {t.id}: {t.untestable}" for t in marked_untried]
    unreached = coverage.unreached()
    if unreached:
        lines.append(f"states never reached ({len(unreached)}): {', '.join(unreached)}")
    if coverage.unmatched:
        moves = sorted(set(coverage.unmatched))
        lines.append(f"moves that no declared transition explains ({len(moves)}: the calls ran other flows?):")
        lines += [f"  {move}" for move in moves]
    return lines


def _tried(coverage: Coverage, transition: Transition) -> str:
    if transition.id in coverage.transitions:
        return "yes"
    return "untestable" if transition.untestable is not None else "NO"


def report(recorder: Recorder, echo: Callable[[str], None], svg_dir: Path | None = None) -> None:
    """Say what the recorded calls exercised; with svg_dir, draw every flow there with what they never did marked."""
    if recorder.not_found:
        echo(
            f"-- coverage: {len(recorder.not_found)} of the calls are not in this app's store: the server keeps its"
            " audit trail elsewhere (run replay with the server's DATABASE_URL)"
        )
    for line in report_lines(recorder.coverage):
        echo(line)
    if svg_dir is not None:
        written = diagram.write_diagrams(recorder.coverage.book, svg_dir, untried=recorder.coverage.marks())
        echo(f"the flows drawn, what was never exercised marked: {len(written)} SVG files in {svg_dir}")
