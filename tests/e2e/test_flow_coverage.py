"""Flow coverage: the shipped scenarios exercise every transition of the shipped flows that is not marked untestable,
and `replay --coverage` says which ones a replay exercised, in the sandbox and against a server's audit trail."""

import shutil

import pytest

from ivr.factory import create_app
from ivr.flows.loader import FlowBook
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, PROJECT_DIR
from ivr.simulator.coverage import Recorder
from ivr.simulator.runs import play_in_sandbox
from ivr.simulator.scenario import load
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.web.extension import runtime_of
from tests.conftest import AUTH_TOKEN

SHIPPED = sorted((PROJECT_DIR / "scenarios").rglob("*.yaml"))
INFO = PROJECT_DIR / "scenarios" / "info_menu_every_group.yaml"
HANG_UP = PROJECT_DIR / "scenarios" / "hang_up_mid_flow.yaml"


def test_every_transition_of_the_shipped_flows_is_exercised_by_a_shipped_scenario_or_marked_untestable():
    recorder = Recorder(FlowBook.load())
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as stand_in:
        for path in SHIPPED:
            outcome = play_in_sandbox(load(path), stand_in, after=recorder.after)
            assert outcome.passed, outcome.problem
    coverage = recorder.coverage
    assert coverage.calls == len(SHIPPED) and recorder.not_found == []
    never = [f"{coverage.where(t)}: {t.id} ({t.label} → {t.to})" for t in coverage.missing()]
    assert never == [], "no shipped scenario exercises these transitions (write one, or mark them untestable):\n" + (
        "\n".join(never)
    )
    assert coverage.unreached() == [] and coverage.unmatched == []
    assert all(t.untestable for t in coverage.untried())


def replay(app, *args):
    return app.test_cli_runner().invoke(args=["replay", "--quiet", *map(str, args)])


def rows(output):
    """Return the transitions table's rows, by transition id: (how, leads to, tried)."""
    found = {}
    for line in output.splitlines():
        cells = line.split("  ")
        cells = [cell.strip() for cell in cells if cell.strip()]
        if len(cells) == 4 and ":" in cells[0] and cells[3] in ("yes", "NO", "untestable"):
            found[cells[0]] = tuple(cells[1:])
    return found


def test_replay_coverage_tells_what_the_scenarios_exercised_and_what_they_never_did(app):
    result = replay(app, "--coverage", INFO, HANG_UP)
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert table["info.choose:keys.4"] == ("key 4", "info.tell", "yes")
    assert table["info.tell:no_input"] == ("no input", "info.goodbye", "yes")
    assert table["category.confirm:keys.2"] == ("key 2", "category.dispute", "NO")
    assert table["language.choose:more_languages"][2] == "untestable"
    assert "flow coverage of 2 calls:" in result.output
    assert "info         3/3     6/13" in result.output
    assert "  flows/category.yaml:" in result.output and ": category.confirm:keys.2 (key 2 → category.dispute)" in (
        result.output
    )
    assert ": language.choose:more_languages: no recorded language ships" in result.output
    assert result.output.rstrip().endswith("2 passed, 0 failed, 0 skipped")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed: the SVGs cannot be drawn")
def test_replay_coverage_draws_every_flow_with_the_untried_arrows_marked(app, tmp_path):
    out = tmp_path / "coverage"
    result = replay(app, "--coverage-svg", out, INFO)
    assert result.exit_code == 0, result.output
    flows = ("advisor", "category", "completion", "credentials", "identity", "info", "language", "menu")
    assert sorted(path.name for path in out.iterdir()) == [f"{flow}.svg" for flow in flows]
    info = (out / "info.svg").read_text(encoding="utf-8")
    assert "untried" in info and "#d93025" in info
    assert "never reached" in (out / "category.svg").read_text(encoding="utf-8")


def test_replay_coverage_against_a_server_reads_the_audit_trail_of_its_store(app, served_app):
    result = replay(app, "--url", served_app, "--auth-token", AUTH_TOKEN, "--coverage", INFO)
    assert result.exit_code == 0, result.output
    assert "not in this app's store" not in result.output
    assert rows(result.output)["info.choose:keys.1"][2] == "yes"
    assert "flow coverage of 1 call:" in result.output


def test_replay_coverage_against_a_server_that_keeps_its_trail_elsewhere_says_so(served_app, tmp_path):
    other = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}", "IVR_SECRET_KEY": "o" * 64}
    )
    try:
        result = replay(other, "--url", served_app, "--auth-token", AUTH_TOKEN, "--coverage", INFO)
    finally:
        runtime_of(other).store.dispose()
    assert result.exit_code == 0, result.output
    assert "-- coverage: 1 of the calls are not in this app's store" in result.output
    assert "flow coverage of 0 calls:" in result.output


def test_coverage_does_not_go_with_many_callers(app):
    result = replay(app, "--coverage", "--callers", "2", INFO)
    assert result.exit_code == 2 and "not with --callers" in result.output
