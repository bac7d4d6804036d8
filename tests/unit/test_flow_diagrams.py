"""The flows drawn (`flask --app app flows diagram`): every shipped flow rendered to SVG by Graphviz and read back,
the DOT of a small flow written here, and the numbers a period's counts lay on a drawing."""

import re
import shutil
import xml.etree.ElementTree as ET
from textwrap import dedent

import pytest

from ivr.flows import diagram
from ivr.flows.diagram import Counts, transfer_to
from ivr.flows.loader import FLOWS_DIR, FlowBook

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's dot is not installed (scripts/setup installs Debian's graphviz): the SVGs cannot be drawn",
)
SHIPPED = FlowBook.load(FLOWS_DIR)

BOOK = """\
start: desk.hello
advisor: {transfer: help.enter, queue: help.ring}
transfer_reasons:
  caller_request: {en: asked, fr: demandé, ar: طلب}
  gave_up: {en: the caller gave up, fr: abandon, ar: تخلى}
  call_too_long: {en: too long, fr: trop long, ar: طويل}
"""
HELP = """\
flow: help
title: {en: help, fr: aide, ar: مساعدة}
states:
  enter:
    say: help.wait
    next: ring
  ring:
    dial: advisor
    answered: thanks
    unanswered: thanks
  thanks:
    end: help.thanks
"""
DESK = """\
flow: desk
title: {en: the desk, fr: guichet, ar: شباك}
states:
  hello:
    say: [desk.hello, desk.hours]
    next: pick
  pick:
    ask: desk.pick
    keys:
      "1": {goto: code, set: {colour: blue}}
      "2": shop.open
    no_input: [desk.silent, desk.pick_help]
    invalid: [desk.wrong, desk.pick_help]
    max_attempts: {transfer: gave_up}
  code:
    ask: desk.code
    expect: four_digits
    save: code
    next: check
    no_input: bye
    invalid: [desk.code_wrong, desk.code_help]
    max_attempts: {transfer: gave_up}
  check:
    action: check_code
    outcomes: {good: bye, bad: pick}
  bye:
    end: desk.bye
"""
SHOP = """\
flow: shop
title: {en: the shop, fr: boutique, ar: متجر}
states:
  open:
    end: shop.open
"""


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    for name, text in {"_book": BOOK, "help": HELP, "desk": DESK, "shop": SHOP}.items():
        (folder / f"{name}.yaml").write_text(dedent(text), encoding="utf-8")
    return FlowBook.load(folder)


def edges(dot):
    """Return each arrow of a DOT text as (tail, head) -> its attributes."""
    found = re.findall(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$', dot, flags=re.MULTILINE)
    return {(tail, head): attributes for tail, head, attributes in found}


def nodes(dot):
    """Return each node of a DOT text as id -> its attributes."""
    return dict(re.findall(r'^\s*"([^"]+)" \[(.*)\];$', dot, flags=re.MULTILINE))


def drawn(book, flow, counts=None):
    """Render a flow to SVG with dot and return its nodes and arrows, each as title -> (texts, element)."""
    root = ET.fromstring(diagram.render_svg(diagram.flow_dot(book, flow, counts)))
    found = {"node": {}, "edge": {}}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") in found:
            title = group.findtext(f"{SVG}title")
            texts = [text.text or "" for text in group.iter(f"{SVG}text")]
            found[group.get("class")][title] = (texts, group)
    return found["node"], found["edge"]


def edge_texts(edges_found):
    return [text for texts, _ in edges_found.values() for text in texts]


def dashed(group):
    return any(path.get("stroke-dasharray") for path in group.iter(f"{SVG}path"))


@needs_dot
@pytest.mark.parametrize("flow", diagram.flow_names(SHIPPED))
def test_every_shipped_flow_is_drawn_with_each_of_its_states_its_kind_and_its_prompts(flow):
    node_found, _ = drawn(SHIPPED, flow)
    states = [state for state in SHIPPED.states.values() if state.flow == flow]
    assert states
    for state in states:
        assert state.name in node_found, f"{state.name} is not drawn"
        texts, _ = node_found[state.name]
        assert texts[0] == state.name.split(".", 1)[1]
        assert diagram.kind_line(state) in texts
        assert all(prompt in texts for prompt in state.prompts), (state.name, texts)


@needs_dot
def test_the_keys_a_caller_presses_are_written_on_the_arrows():
    _, menu = drawn(SHIPPED, "menu")
    texts = edge_texts(menu)
    assert {"1 (intent=complete)", "2", "3 (intent=resend)"} <= set(texts)
    _, language = drawn(SHIPPED, "language")
    assert {"1 (language=ar)", "2 (language=fr)"} <= set(edge_texts(language))


@needs_dot
def test_a_transfer_to_the_advisors_shows_its_reason_in_words():
    node_found, edge_found = drawn(SHIPPED, "category")
    texts, _ = node_found["transfer:category_disputed"]
    assert "category_disputed" in texts
    assert "the caller disputes the declared category" in texts
    assert "category.disputed->transfer:category_disputed" in edge_found
    texts, _ = node_found["transfer:too_many_misses"]
    assert "no valid answer three times to one question" in texts


@needs_dot
def test_the_links_with_other_flows_appear_as_nodes_of_the_other_flow():
    node_found, edge_found = drawn(SHIPPED, "menu")
    assert node_found["to:identity.check_caller"][0] == ["→ identity.check_caller"]
    assert node_found["to:info.choose"][0] == ["→ info.choose"]
    assert "menu.choose->to:info.choose" in edge_found
    node_found, edge_found = drawn(SHIPPED, "identity")
    assert node_found["from:menu.choose"][0] == ["menu.choose →"]
    assert "from:menu.choose->identity.check_caller" in edge_found
    assert "→ credentials.deliver" in node_found["to:credentials.deliver"][0]


@needs_dot
def test_the_miss_exits_are_dashed_in_the_svg_and_the_keys_are_not():
    _, edge_found = drawn(SHIPPED, "credentials")
    texts, group = edge_found["credentials.sent->credentials.goodbye"]
    assert texts == ["no input", "max attempts"]
    assert dashed(group)
    _, group = edge_found["credentials.deliver->credentials.sent"]
    assert not dashed(group)


@needs_dot
def test_the_start_of_every_call_and_the_entry_of_every_transfer_are_drawn():
    node_found, edge_found = drawn(SHIPPED, "language")
    assert node_found["start"][0] == ["call"]
    assert "start->language.welcome" in edge_found
    node_found, edge_found = drawn(SHIPPED, "advisor")
    assert node_found["transfers"][0] == ["every transfer", "to the advisors"]
    assert "transfers->advisor.transfer" in edge_found
    assert {"open", "closed", "answered", "unanswered"} <= set(edge_texts(edge_found))


def test_the_dot_of_a_small_flow_draws_keys_and_outcomes_solid_and_miss_exits_dashed(small):
    dot = diagram.flow_dot(small, "desk")
    arrows = edges(dot)
    assert 'label="1 (colour=blue)"' in arrows["desk.pick", "desk.code"]
    assert "style=" not in arrows["desk.pick", "desk.code"]
    assert 'label="2"' in arrows["desk.pick", "to:shop.open"]
    assert "style=dashed" in arrows["desk.pick", "transfer:gave_up"]
    assert 'label="max attempts"' in arrows["desk.pick", "transfer:gave_up"]
    # Two questions leave for the same reason: one node for the reason, an arrow from each.
    assert "style=dashed" in arrows["desk.code", "transfer:gave_up"]
    assert "style=dashed" in arrows["desk.code", "desk.bye"] and 'label="no input"' in arrows["desk.code", "desk.bye"]
    assert 'label="valid"' in arrows["desk.code", "desk.check"] and "style=" not in arrows["desk.code", "desk.check"]
    assert 'label="good"' in arrows["desk.check", "desk.bye"]
    assert 'label="bad"' in arrows["desk.check", "desk.pick"]
    assert "label=" not in arrows["desk.hello", "desk.pick"]
    assert ("start", "desk.hello") in arrows
    # Reprompts are no arrows: the question stays where it is.
    assert ("desk.pick", "desk.pick") not in arrows

    shapes = nodes(dot)
    assert "shape=hexagon" in shapes["desk.check"] and "action: check_code" in shapes["desk.check"]
    assert "shape=note" in shapes["desk.hello"] and "desk.hours" in shapes["desk.hello"]
    assert "entry: four_digits → code" in shapes["desk.code"]
    assert "peripheries=2" in shapes["desk.bye"]
    assert "the caller gave up" in shapes["transfer:gave_up"]
    assert "→ shop.open" in shapes["to:shop.open"]
    assert "calls" not in dot  # no numbers unless given


def test_the_dot_of_the_advisors_flow_joins_two_ways_to_the_same_state_in_one_arrow(small):
    arrows = edges(diagram.flow_dot(small, "help"))
    assert 'label="answered\\nunanswered"' in arrows["help.ring", "help.thanks"]
    assert ("transfers", "help.enter") in arrows


def test_the_counts_label_the_states_and_the_arrows_and_mark_the_drop_offs(small):
    counts = Counts(
        states={"desk.pick": 123, "desk.code": 80, "desk.bye": 70},
        arrows={
            ("start", "desk.hello"): 150,
            ("desk.pick", "desk.code"): 80,
            ("desk.pick", transfer_to("gave_up")): 31,
            ("desk.pick", "shop.open"): 0,
        },
        drops={"desk.pick": 12},
    )
    dot = diagram.flow_dot(small, "desk", counts)
    shapes, arrows = nodes(dot), edges(dot)
    assert "123 calls" in shapes["desk.pick"]
    assert "✕ 12 ended here (10%)" in shapes["desk.pick"] and 'color="#c5221f", penwidth=3' in shapes["desk.pick"]
    assert "80 calls" in shapes["desk.code"] and "ended here" not in shapes["desk.code"]
    assert "calls" not in shapes["desk.hello"]  # a state without a number says none, not 0
    assert 'label="1 (colour=blue)\\n80 calls"' in arrows["desk.pick", "desk.code"]
    assert 'label="max attempts\\n31 calls"' in arrows["desk.pick", "transfer:gave_up"]
    assert 'label="2\\n0 calls"' in arrows["desk.pick", "to:shop.open"]
    # The busiest arrow is the widest.
    widths = {key: float(width) for key in arrows for width in re.findall(r"penwidth=([\d.]+)", arrows[key])}
    assert widths["desk.pick", "desk.code"] > widths["desk.pick", "transfer:gave_up"]
    assert widths["desk.pick", "to:shop.open"] == 1
    assert ("desk.code", "desk.check") not in widths  # an arrow without a number keeps the plain width


def test_a_counted_arrow_the_flow_does_not_declare_is_drawn_dotted_rather_than_lost(small):
    counts = Counts(arrows={("desk.code", transfer_to("caller_request")): 7, ("desk.hello", "shop.open"): 0})
    arrows = edges(diagram.flow_dot(small, "desk", counts))
    assert "style=dotted" in arrows["desk.code", "transfer:caller_request"]
    assert "outside the declared arrows\\n7 calls" in arrows["desk.code", "transfer:caller_request"]
    assert ("desk.hello", "to:shop.open") not in arrows  # a count of 0 draws nothing new


def test_calls_an_agent_sent_into_a_flow_are_drawn_dotted_from_where_they_stood(small):
    counts = Counts(arrows={("help.ring", "desk.pick"): 4, ("nowhere.at_all", "desk.pick"): 9})
    dot = diagram.flow_dot(small, "desk", counts)
    arrows, shapes = edges(dot), nodes(dot)
    assert (
        "style=dotted" in arrows["from:help.ring", "desk.pick"] and "4 calls" in arrows["from:help.ring", "desk.pick"]
    )
    assert 'label="help.ring →"' in shapes["from:help.ring"]
    assert "from:nowhere.at_all" not in shapes  # a state the book does not know is not drawn
    assert "dotted: calls that went outside the declared arrows" in dot


def test_a_flow_the_book_does_not_have_is_refused(small):
    with pytest.raises(KeyError, match="no flow 'nope'"):
        diagram.flow_dot(small, "nope")


@needs_dot
def test_the_counts_are_read_in_the_rendered_svg(small):
    counts = Counts(states={"desk.pick": 123}, arrows={("desk.pick", "desk.code"): 80}, drops={"desk.pick": 12})
    node_found, edge_found = drawn(small, "desk", counts)
    assert "123 calls" in node_found["desk.pick"][0]
    assert "✕ 12 ended here (10%)" in node_found["desk.pick"][0]
    assert edge_found["desk.pick->desk.code"][0] == ["1 (colour=blue)", "80 calls"]


@needs_dot
def test_flows_diagram_writes_one_svg_per_flow_and_says_which(app, tmp_path):
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = diagram.flow_names(SHIPPED)
    assert sorted(path.name for path in out.iterdir()) == [f"{name}.svg" for name in names]
    for name in names:
        assert f"wrote {out / name}.svg" in result.output
        assert ET.parse(out / f"{name}.svg").getroot().tag == f"{SVG}svg"
    assert result.output.endswith(f"{len(names)} flow(s) drawn in {out}\n")


@needs_dot
def test_flows_diagram_draws_a_copy_of_the_flows_given_with_flows(app, tmp_path, small):
    folder = tmp_path / "flows"  # the small flows' folder
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out), "--flows", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == ["desk.svg", "help.svg", "shop.svg"]


def test_flows_diagram_without_dot_exits_1_saying_how_to_install_it(app, tmp_path, monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out)])
    assert result.exit_code == 1
    assert "Graphviz's dot is not installed" in result.output and "apt-get install graphviz" in result.output
    assert not out.exists()


def test_flows_diagram_draws_nothing_from_broken_flows_and_says_why(app, tmp_path):
    folder = shutil.copytree(FLOWS_DIR, tmp_path / "flows")
    path = folder / "language.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("next: choose", "next: chose"), encoding="utf-8")
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out), "--flows", str(folder)])
    assert result.exit_code == 1
    assert "leads to unknown state language.chose" in result.output
    assert "nothing drawn" in result.output
    assert not out.exists()
