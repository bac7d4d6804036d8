"""The flows drawn: each flow's declarations as a Graphviz graph (DOT), rendered to SVG by Debian's `dot`.

One graph per flow: its states (name, kind, prompt keys), the arrows between them (a menu's keys, an action's
outcomes, `next`, a dial's answered/unanswered), a question's exits on a miss (no input, invalid, max attempts:
dashed), transfers to the advisors (one node per reason), ends, and the links with the other flows (nodes such
as "→ identity.check_caller" for where a call goes on, "menu.choose →" for where it comes from).

Numbers may be laid on a drawing (`Counts`): calls through each state, calls along each arrow, calls that ended at
a state (drop-offs, marked in red). An arrow is named by its state and where it leads: `(state, to)`, `to` being a
state (flow.state) or `transfer_to(reason)`. Counted arrows the flows do not declare (the 0 key, an agent's
transfer, a call too long) are drawn dotted, so no counted call goes missing from the drawing.

What replayed scenarios never exercised may be marked instead (`Untried`, from `replay --coverage`): an arrow of a
transition never tried dashed in red, labelled "untried" (grey, "untestable", when the flow marks it untestable),
a question asked again on a miss as a loop on its state, and a state never reached with a red dashed border.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.loader import FlowBook, State, Target

DOT_TIMEOUT = 60  # seconds for `dot` to lay out one flow
MISS_LABELS = {"no_input": "no input", "invalid": "invalid", "max_attempts": "max attempts"}
MORE_LANGUAGES_LABEL = "a recorded language's key"
# How each kind of state is drawn: (shape, fill colour).
SHAPES = {
    "menu": ("box", "#e8f0fe"),
    "entry": ("box", "#e6f4ea"),
    "say": ("note", "#fef7e0"),
    "action": ("hexagon", "#f3e8fd"),
    "dial": ("component", "#fde7d9"),
    "end": ("box", "#eeeeee"),
}
REGULAR, MISS, UNDECLARED = "regular", "miss", "undeclared"
UNTRIED, UNTESTABLE = "untried", "untestable"
UNTRIED_RED, UNTESTABLE_GREY = "#d93025", "#80868b"


class DotMissing(Exception):
    """Graphviz's `dot` is not installed."""


class DotFailed(Exception):
    """`dot` refused a graph or failed."""


ArrowKey = tuple[str, str]  # (state, to): to is flow.state, or transfer_to(reason)


def transfer_to(reason: str) -> str:
    """Return how a counted arrow names a transfer to the advisors for a reason."""
    return f"transfer:{reason}"


@dataclass(frozen=True)
class Counts:
    """Numbers to lay on a drawing, for a period: calls through each state (flow.state), along each arrow
    ((state, to), see ArrowKey) and calls that ended at a state (hung up, timed out: the drop-offs)."""

    states: Mapping[str, int] = field(default_factory=dict)
    arrows: Mapping[ArrowKey, int] = field(default_factory=dict)
    drops: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Untried:
    """What replayed calls never exercised, to mark on a drawing: transitions by id (flow.state:name, see
    ivr/flows/transitions.py) and states (flow.state)."""

    transitions: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()


@dataclass
class Arrow:
    """One drawn arrow: between two nodes of the graph, with the labels of every declared way along it."""

    tail: str
    head: str
    key: ArrowKey
    style: str
    labels: list[str] = field(default_factory=list)


def quote(text: str) -> str:
    """Return text as a DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html(text: str) -> str:
    """Return text escaped for a Graphviz HTML label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def calls(count: int) -> str:
    return f"{count:,} call" + ("" if count == 1 else "s")


def flow_names(book: FlowBook) -> list[str]:
    """Return the book's flows, sorted."""
    return sorted({state.flow for state in book.states.values()})


def kind_of(state: State) -> str:
    """Return a state's kind as the declarations write it (a question is a menu or an entry)."""
    if state.kind == "ask":
        return "entry" if state.expect else "menu"
    return state.kind


def kind_line(state: State) -> str:
    kind = kind_of(state)
    if kind == "entry":
        return f"entry: {state.expect} → {state.save}"
    if kind == "action":
        return f"action: {state.action}"
    if kind == "dial":
        return "dial: advisor"
    return kind


def with_slots(label: str, target: Target) -> str:
    if not target.set:
        return label
    return f"{label} ({', '.join(f'{slot}={value}' for slot, value in target.set.items())})"


def declared_arrows(state: State) -> list[tuple[str, Target, str, str]]:
    """Return every way out of a state, in the order declared: (label, target, style, the transition's name)."""
    found: list[tuple[str, Target, str, str]] = []
    found += [(with_slots(key, target), target, REGULAR, f"keys.{key}") for key, target in state.keys.items()]
    if state.more_languages is not None:
        more = state.more_languages
        found.append((with_slots(MORE_LANGUAGES_LABEL, more), more, REGULAR, "more_languages"))
    if state.next is not None:
        found.append((with_slots("valid" if state.expect else "", state.next), state.next, REGULAR, "next"))
    found += [
        (with_slots(outcome, target), target, REGULAR, f"outcomes.{outcome}")
        for outcome, target in state.outcomes.items()
    ]
    for which, target in (("answered", state.answered), ("unanswered", state.unanswered)):
        if target is not None:
            found.append((which, target, REGULAR, which))
    for which, miss in state.misses.items():
        if miss.leave is not None:
            found.append((with_slots(MISS_LABELS[which], miss.leave), miss.leave, MISS, which))
    if state.max_attempts is not None:
        attempts = state.max_attempts
        found.append((with_slots(MISS_LABELS["max_attempts"], attempts), attempts, MISS, "max_attempts"))
    return found


class FlowGraph:
    """The nodes and arrows of one flow's drawing, then its DOT text."""

    def __init__(self, book: FlowBook, flow: str, counts: Counts | None, untried: Untried | None = None):
        self.book, self.flow, self.counts = book, flow, counts or Counts()
        self.untried = untried
        self.states = [state for state in book.states.values() if state.flow == flow]
        self.nodes: dict[str, str] = {}  # node id -> its DOT attributes
        self.arrows: list[Arrow] = []

    def node_for(self, to: str) -> str:
        """Return the node an arrow leads to (`to` as in ArrowKey), adding it when it is not a state of this flow."""
        if to.startswith("transfer:"):
            reason = to.split(":", 1)[1]
            words = self.book.reason_text(reason) or reason
            self.nodes.setdefault(
                to,
                f'shape=box, style="rounded,filled", fillcolor="#fce8e6", color="#c5221f", label=<'
                f'<B>→ advisors</B><BR/>{html(reason)}<BR/><FONT POINT-SIZE="10">{html(words)}</FONT>>',
            )
            return to
        if to.split(".", 1)[0] == self.flow:
            return to
        node = f"to:{to}"
        self.nodes.setdefault(node, f'shape=cds, style=filled, fillcolor="#ffffff", label={quote("→ " + to)}')
        return node

    def state_node(self, state: State) -> str:
        shape, fill = SHAPES[kind_of(state)]
        style = "rounded,filled" if kind_of(state) in ("menu", "entry") else "filled"
        lines = [
            f"<B>{html(state.name.split('.', 1)[1])}</B>",
            f'<FONT POINT-SIZE="10">{html(kind_line(state))}</FONT>',
        ]
        lines += [f'<FONT POINT-SIZE="10" COLOR="#444444">{html(key)}</FONT>' for key in state.prompts]
        extra = ""
        through = self.counts.states.get(state.name)
        if through is not None:
            lines.append(f'<FONT COLOR="#1a73e8">{html(calls(through))}</FONT>')
        dropped = self.counts.drops.get(state.name, 0)
        if dropped:
            share = f" ({dropped / through:.0%})" if through else ""
            lines.append(f'<FONT COLOR="#c5221f"><B>✕ {html(f"{dropped:,}")} ended here{share}</B></FONT>')
            extra = ', color="#c5221f", penwidth=3'
        if kind_of(state) == "end":
            extra += ", peripheries=2"
        if self.untried is not None and state.name in self.untried.states:
            lines.append(f'<FONT COLOR="{UNTRIED_RED}"><B>never reached</B></FONT>')
            style, extra = f"{style},dashed", f'{extra}, color="{UNTRIED_RED}", penwidth=2'
        return f'shape={shape}, style="{style}", fillcolor="{fill}"{extra}, label=<{"<BR/>".join(lines)}>'

    def style_of(self, state: State, name: str, style: str) -> str:
        """Return how a transition's arrow is drawn: as declared, or marked when it was never exercised."""
        if self.untried is None or f"{state.name}:{name}" not in self.untried.transitions:
            return style
        return UNTESTABLE if name in state.untestable else UNTRIED

    def add_arrow(self, tail: str, key: ArrowKey, style: str, label: str, head: str | None = None) -> None:
        """Add a way along an arrow: to the arrow between the same nodes in the same style, else as a new one."""
        head = head or self.node_for(key[1])
        for arrow in self.arrows:
            if (arrow.tail, arrow.head, arrow.style) == (tail, head, style):
                arrow.labels.append(label)
                return
        self.arrows.append(Arrow(tail, head, key, style, [label]))

    def build(self) -> FlowGraph:
        for state in self.states:
            self.nodes[state.name] = self.state_node(state)
        if self.book.start.split(".", 1)[0] == self.flow:
            self.nodes["start"] = 'shape=circle, style=filled, fillcolor="#202124", fontcolor=white, label="call"'
            self.arrows.append(Arrow("start", self.book.start, ("", self.book.start), REGULAR, []))
        if self.book.advisor.split(".", 1)[0] == self.flow:
            self.nodes["transfers"] = 'shape=box, style="rounded,dashed", label="every transfer\\nto the advisors"'
            self.arrows.append(Arrow("transfers", self.book.advisor, ("", self.book.advisor), REGULAR, []))
        # Where calls come from in the other flows (transfers to the advisors enter at `transfers` above).
        for other in self.book.states.values():
            if other.flow == self.flow:
                continue
            for label, target, style, name in declared_arrows(other):
                if target.transfer is None and target.state.split(".", 1)[0] == self.flow:
                    style = self.style_of(other, name, style)
                    self.add_arrow(
                        self.from_node(other.name), (other.name, target.state), style, label, head=target.state
                    )
        for state in self.states:
            for label, target, style, name in declared_arrows(state):
                to = transfer_to(target.transfer) if target.transfer is not None else target.state
                self.add_arrow(state.name, (state.name, to), self.style_of(state, name, style), label)
            # A question asked again on a miss draws no arrow, unless it was never exercised.
            for which, miss in state.misses.items():
                style = self.style_of(state, which, MISS)
                if miss.leave is None and style != MISS:
                    self.add_arrow(state.name, (state.name, state.name), style, f"{MISS_LABELS[which]}: asked again")
        # Counted arrows no declaration draws: out of this flow's states, or into them from another flow's.
        drawn = {arrow.key for arrow in self.arrows}
        for key, count in sorted(self.counts.arrows.items()):
            tail, to = key
            if not count or key in drawn:
                continue
            if tail.split(".", 1)[0] == self.flow and tail in self.nodes:
                self.add_arrow(tail, key, UNDECLARED, "")
            elif to.split(".", 1)[0] == self.flow and to in self.nodes and tail in self.book:
                self.add_arrow(self.from_node(tail), key, UNDECLARED, "", head=to)
        return self

    def from_node(self, state: str) -> str:
        """Return the node of another flow's state that calls come from, adding it when it is not there yet."""
        node = f"from:{state}"
        self.nodes.setdefault(node, f'shape=cds, style=filled, fillcolor="#ffffff", label={quote(state + " →")}')
        return node

    def arrow_line(self, arrow: Arrow, busiest: int) -> str:
        labels = [label for label in arrow.labels if label]
        attributes = []
        if arrow.style == MISS:
            attributes += ["style=dashed", 'color="#b06000"', 'fontcolor="#b06000"']
        elif arrow.style == UNDECLARED:
            attributes += ["style=dotted", 'color="#5f6368"']
            labels.append("outside the declared arrows")
        elif arrow.style in (UNTRIED, UNTESTABLE):
            colour = UNTRIED_RED if arrow.style == UNTRIED else UNTESTABLE_GREY
            attributes += ["style=dashed", f'color="{colour}"', f'fontcolor="{colour}"', "penwidth=2"]
            labels.append(arrow.style)
        count = self.counts.arrows.get(arrow.key)
        if count is not None and not any(other.key == arrow.key for other in self.arrows[: self.arrows.index(arrow)]):
            labels.append(calls(count))
            if busiest:
                attributes.append(f"penwidth={1 + 4 * count / busiest:.2f}")
        if labels:
            attributes.append(f"label={quote(chr(10).join(labels))}")
        same = [other for other in self.arrows if (other.tail, other.head) == (arrow.tail, arrow.head)]
        suffix = f"#{same.index(arrow) + 1}" if len(same) > 1 else ""
        attributes.append(f"id={quote('arrow:' + arrow.tail + '->' + arrow.head + suffix)}")
        return f"  {quote(arrow.tail)} -> {quote(arrow.head)} [{', '.join(attributes)}];"

    def dot(self) -> str:
        title = self.book.flow_titles.get(self.flow)
        caption = f"flow {self.flow}" + (f": {title.en}" if title is not None else "")
        caption += "\nsolid: keys, outcomes, next · dashed: no input, invalid, max attempts"
        if any(state.kind == "ask" for state in self.states):
            caption += "\nat every question * repeats and 0 goes to the advisors (caller_request)"
        if any(arrow.style == UNDECLARED for arrow in self.arrows):
            caption += "\ndotted: calls that went outside the declared arrows (0, an agent, a call too long)"
        if self.untried is not None:
            caption += (
                "\nred dashed: never exercised by the scenarios replayed · grey dashed: untestable, not exercised"
            )
        lines = [
            f"digraph {quote(self.flow)} {{",
            f'  graph [rankdir=TB, fontname="DejaVu Sans", fontsize=12, labelloc=t, label={quote(caption)}];',
            '  node [fontname="DejaVu Sans", fontsize=12, margin="0.15,0.06"];',
            '  edge [fontname="DejaVu Sans", fontsize=10];',
        ]
        lines += [
            f"  {quote(node)} [{attributes}, id={quote('node:' + node)}];" for node, attributes in self.nodes.items()
        ]
        busiest = max((count for count in self.counts.arrows.values()), default=0)
        lines += [self.arrow_line(arrow, busiest) for arrow in self.arrows]
        lines.append("}")
        return "\n".join(lines) + "\n"


def flow_dot(book: FlowBook, flow: str, counts: Counts | None = None, untried: Untried | None = None) -> str:
    """Return one flow's drawing as DOT text, with the numbers of `counts` and the marks of `untried` when given."""
    if flow not in flow_names(book):
        raise KeyError(f"no flow {flow!r} in the book")
    return FlowGraph(book, flow, counts, untried).build().dot()


def dot_program() -> str:
    """Return the path of Graphviz's `dot`; raise DotMissing when it is not installed."""
    program = shutil.which("dot")
    if program is None:
        raise DotMissing(
            "Graphviz's dot is not installed: install Debian's graphviz (sudo apt-get install graphviz, or"
            " scripts/setup as root)"
        )
    return program


def render_svg(dot: str) -> bytes:
    """Lay out a DOT graph with Graphviz's `dot` and return the SVG; raise DotMissing without `dot`."""
    program = dot_program()
    done = subprocess.run(
        [program, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise DotFailed(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def write_diagrams(
    book: FlowBook, out: Path, counts: Counts | None = None, untried: Untried | None = None
) -> list[Path]:
    """Write out/<flow>.svg for every flow of the book; return the files written."""
    dot_program()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for flow in flow_names(book):
        path = out / f"{flow}.svg"
        path.write_bytes(render_svg(flow_dot(book, flow, counts, untried)))
        written.append(path)
    return written
