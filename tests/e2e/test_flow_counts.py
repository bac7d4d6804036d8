"""The flows' numbers (calls through each state, along each arrow, ended at a state) counted from the audit trail
after a known mix of simulated calls, and laid on the drawings that `flows diagram --counts` writes."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from ivr.cli import flows as cli_flows
from ivr.flows import diagram
from ivr.flows.diagram import transfer_to
from ivr.reports import campaign
from ivr.reports.campaign import Period
from ivr.reports.flow_counts import flow_counts
from tests.agent_support import AgentApi, follow_the_redirect, new_agent, reach_the_advisor
from tests.e2e.conftest import choose, complete, identify

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's dot is not installed (scripts/setup installs Debian's graphviz): the SVGs cannot be drawn",
)
WRONG_BIRTH = "01012001"


@pytest.fixture
def mix(app, rt, people, phone, twilio_api):
    """Play six calls: a completion (hung up after hearing the number), a hang-up and a time-out at the CIN
    question, a birth date that does not match then a hang-up, a dispute of the category (transferred), and a 0 at
    the main menu that an agent sends back to the main menu, where the caller picks the information and hangs up."""
    amina = phone("+212600000021")
    complete(amina, people["amina"])
    amina.hangup()  # at credentials.sent

    hangs_up = phone("+212600000022")
    choose(hangs_up, "fr", "1")
    hangs_up.hangup()  # at identity.ask_cin

    silent = phone("+212600000023")
    choose(silent, "fr", "1")
    silent.wait()  # the CIN question timed out: reprompted
    silent.hangup()  # timed out at identity.ask_cin

    mismatch = phone("+212600000024")
    choose(mismatch, "ar", "1")
    identify(mismatch, people["salma"], WRONG_BIRTH)  # asked for the CIN again: identity.ask_cin twice
    mismatch.hangup()  # at identity.ask_cin

    disputes = phone("+212600000025")
    choose(disputes, "fr", "1")
    identify(disputes, people["youssef"])
    assert disputes.press("2").dial is not None  # the declared category is not theirs
    disputes.advisor_answers()

    asks = phone("+212600000026")
    reach_the_advisor(asks, twilio_api)  # 0 at the main menu: caller_request
    answer = AgentApi(app, new_agent(rt, "Fatima")).transfer(asks.call_sid, target="menu.choose", language="fr")
    assert answer.status_code == 200, answer.json
    follow_the_redirect(asks, twilio_api)
    asks.press("2")  # the information menu
    asks.hangup()  # at info.choose
    return people


STATES = {
    "language.welcome": 6,
    "language.choose": 6,
    "menu.choose": 6,
    "identity.check_caller": 5,
    "identity.ask_cin": 5,
    "identity.check_cin": 3,
    "identity.ask_birth_date": 3,
    "identity.verify": 3,
    "identity.count_mismatches": 1,
    "identity.no_match": 1,
    "identity.route": 2,
    "category.confirm": 2,
    "category.dispute": 1,
    "category.disputed": 1,
    "completion.check_mobile": 1,
    "completion.confirm_mobile": 1,
    "completion.complete": 1,
    "completion.completed": 1,
    "credentials.deliver": 1,
    "credentials.sent": 1,
    "advisor.transfer": 2,
    "advisor.connect": 2,
    "advisor.after_advisor": 1,
    "info.choose": 1,
}
ARROWS = {
    ("", "language.welcome"): 6,  # the drawing's `call` arrow: every call starts there
    ("language.welcome", "language.choose"): 6,
    ("language.choose", "menu.choose"): 6,
    ("menu.choose", "identity.check_caller"): 5,
    ("identity.check_caller", "identity.ask_cin"): 5,
    ("identity.ask_cin", "identity.check_cin"): 3,
    ("identity.verify", "identity.count_mismatches"): 1,
    ("identity.no_match", "identity.ask_cin"): 1,
    ("identity.verify", "identity.route"): 2,
    ("category.confirm", "category.dispute"): 1,
    ("category.confirm", "completion.check_mobile"): 1,
    ("category.disputed", transfer_to("category_disputed")): 1,
    ("menu.choose", transfer_to("caller_request")): 1,  # the 0 key
    ("", "advisor.transfer"): 2,  # the drawing's `every transfer to the advisors` arrow
    ("advisor.transfer", "advisor.connect"): 2,
    ("advisor.connect", "advisor.after_advisor"): 1,
    ("advisor.connect", "menu.choose"): 1,  # the agent's transfer
    ("menu.choose", "info.choose"): 1,
    ("completion.completed", "credentials.deliver"): 1,
    ("credentials.deliver", "credentials.sent"): 1,
}
# The dropoff report counts a call that reached the advisors as transferred, at the state it left for them, even
# when an agent sent it back and it hung up later (the 0 at menu.choose, then info.choose).
DROPS = {"identity.ask_cin": 3, "credentials.sent": 1}


def test_the_calls_through_each_state_are_counted_once_per_call(mix, rt):
    assert dict(flow_counts(rt, Period()).states) == STATES


def test_the_calls_along_each_arrow_are_counted_as_the_drawings_key_them_transfers_and_agents_included(mix, rt):
    arrows = dict(flow_counts(rt, Period()).arrows)
    assert {key: arrows.get(key) for key in ARROWS} == ARROWS
    assert ("identity.ask_cin", "identity.ask_cin") not in arrows  # a reprompt is no arrow
    assert ("menu.choose", "advisor.transfer") not in arrows  # a transfer is keyed by its reason
    assert all(count > 0 for count in arrows.values())


def test_every_call_through_a_state_came_along_a_counted_arrow(mix, rt):
    counts = flow_counts(rt, Period())
    for state, calls in counts.states.items():
        # The advisors' entry is counted on the drawing's arrow `every transfer to the advisors` ("", its name).
        assert sum(n for (_, to), n in counts.arrows.items() if to == state) >= calls, state


def test_the_drop_offs_are_the_calls_that_hung_up_or_timed_out_at_a_state_as_the_dropoff_report_says(mix, rt):
    counts = flow_counts(rt, Period())
    assert dict(counts.drops) == DROPS
    report = campaign.dropoff(rt).states
    assert report["identity.ask_cin"]["timed out"] == 1 and report["identity.ask_cin"]["hung up"] == 2
    assert "category.disputed" not in counts.drops  # transferred, then finished with the advisor: not lost


def test_a_period_that_ends_before_the_calls_counts_nothing(mix, rt):
    counts = flow_counts(rt, Period(until=rt.now() - timedelta(hours=1)))
    assert (dict(counts.states), dict(counts.arrows), dict(counts.drops)) == ({}, {}, {})


def test_a_period_that_holds_the_calls_counts_them_all(mix, rt):
    counts = flow_counts(rt, Period(since=rt.now() - timedelta(hours=1), until=rt.now() + timedelta(hours=1)))
    assert dict(counts.states) == STATES and dict(counts.drops) == DROPS


def drawn(path):
    """Return the nodes and arrows of an SVG drawing, each as its element id -> the texts it shows."""
    found = {}
    for group in ET.parse(path).getroot().iter(f"{SVG}g"):
        if group.get("class") in ("node", "edge") and group.get("id"):
            found[group.get("id")] = [text.text or "" for text in group.iter(f"{SVG}text")]
    return found


@needs_dot
def test_flows_diagram_with_counts_lays_the_periods_numbers_on_every_drawing(mix, app, tmp_path):
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(
        args=["flows", "diagram", "--out", str(out), "--counts", "--since", "2026-11-25", "--until", "2026-11-26"]
    )
    assert result.exit_code == 0, result.output
    assert "numbers of the calls started from 2026-11-25 00:00 to 2026-11-26 00:00 (Africa/Casablanca)" in (
        result.output
    )
    identity = drawn(out / "identity.svg")
    assert "5 calls" in identity["node:identity.ask_cin"]
    assert "✕ 3 ended here (60%)" in identity["node:identity.ask_cin"]
    assert "3 calls" in identity["arrow:identity.ask_cin->identity.check_cin"]
    assert "5 calls" in identity["arrow:from:menu.choose->identity.check_caller"]
    menu = drawn(out / "menu.svg")
    assert "6 calls" in menu["node:menu.choose"]
    assert "1 call" in menu["arrow:menu.choose->to:info.choose"]
    # The 0 key and the agent's transfer are outside the declared arrows: drawn dotted, still counted.
    assert menu["arrow:menu.choose->transfer:caller_request"] == ["outside the declared arrows", "1 call"]
    assert menu["arrow:from:advisor.connect->menu.choose"] == ["outside the declared arrows", "1 call"]
    category = drawn(out / "category.svg")
    assert "1 call" in category["arrow:category.disputed->transfer:category_disputed"]
    advisor = drawn(out / "advisor.svg")
    assert "2 calls" in advisor["arrow:transfers->advisor.transfer"]
    language = drawn(out / "language.svg")
    assert "6 calls" in language["arrow:start->language.welcome"]


@needs_dot
def test_flows_diagram_with_counts_for_a_period_without_calls_draws_zero_nowhere(mix, app, tmp_path):
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(
        args=["flows", "diagram", "--out", str(out), "--counts", "--until", "2026-11-24"]
    )
    assert result.exit_code == 0, result.output
    identity = drawn(out / "identity.svg")
    assert not any(text.endswith((" calls", " call")) for texts in identity.values() for text in texts)


def test_flows_diagram_refuses_a_period_without_counts(app, tmp_path):
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out), "--since", "1d"])
    assert result.exit_code == 2
    assert "--since and --until choose the period of --counts: add --counts" in result.output
    assert not out.exists()


def test_flows_diagram_refuses_a_period_it_cannot_read(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["flows", "diagram", "--out", str(tmp_path / "drawn"), "--counts", "--until", "yesterday-ish"]
    )
    assert result.exit_code == 2 and "--until" in result.output


@needs_dot
def test_flows_diagram_builds_the_app_only_when_asked_for_counts(tmp_path):
    def no_app():
        raise AssertionError("the app was built")

    runner = CliRunner()
    info = ScriptInfo(create_app=no_app)
    result = runner.invoke(cli_flows.flows, ["diagram", "--out", str(tmp_path / "drawn")], obj=info)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli_flows.flows, ["diagram", "--out", str(tmp_path / "counted"), "--counts"], obj=info)
    assert result.exit_code != 0 and "the app was built" in str(result.exception)


def test_flows_diagram_with_counts_but_no_dot_exits_1_before_reading_the_store(app, tmp_path, monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    monkeypatch.setattr(cli_flows, "flow_counts", lambda rt, period: pytest.fail("the store was read"))
    out = tmp_path / "drawn"
    result = app.test_cli_runner().invoke(args=["flows", "diagram", "--out", str(out), "--counts"])
    assert result.exit_code == 1
    assert "Graphviz's dot is not installed" in result.output and not out.exists()
