"""Every scenario of scenarios/ passes in the sandbox; a wrong one fails with a readable diff."""

import logging
from pathlib import Path

import pytest

from ivr.factory import create_app
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, PROJECT_DIR
from ivr.simulator.runs import play_in_sandbox
from ivr.simulator.scenario import load
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.web.extension import runtime_of

SHIPPED = sorted((PROJECT_DIR / "scenarios").rglob("*.yaml"))
WRONG = Path(__file__).parent / "scenarios" / "wrong_birth_date_expected_to_pass.yaml"


@pytest.fixture(scope="module")
def stand_in():
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def cli(tmp_path):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "IVR_SECRET_KEY": "s" * 64}
    )
    yield app.test_cli_runner()
    runtime_of(app).store.dispose()


def test_the_project_ships_scenarios():
    assert len(SHIPPED) >= 25


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_scenario_passes(path, stand_in):
    outcome = play_in_sandbox(load(path), stand_in)
    assert outcome.passed, outcome.mismatch or outcome.error
    assert outcome.turns[0].action == "dial"


def test_a_wrong_scenario_fails_at_its_step_saying_what_was_expected_and_what_was_heard(stand_in):
    outcome = play_in_sandbox(load(WRONG), stand_in)
    assert not outcome.passed and outcome.error is None
    assert outcome.mismatch.startswith(f"{WRONG}:10: step `expect: category.confirm`: ")
    assert 'expected prompt category.confirm, heard: identity.no_match "Les informations saisies' in outcome.mismatch
    assert "identity.ask_cin" in outcome.mismatch


def test_the_replay_command_prints_the_diff_and_exits_non_zero_on_a_wrong_scenario(cli):
    level = logging.getLogger("ivr").level
    result = cli.invoke(args=["replay", str(WRONG)])
    assert logging.getLogger("ivr").level == level  # quiet during the replay only
    assert result.exit_code == 1
    assert (
        "!! FAILED" in result.output and "expected prompt category.confirm, heard: identity.no_match" in result.output
    )
    assert "> press 01011950" in result.output


def test_the_replay_command_prints_a_transcript_and_exits_0_when_scenarios_pass(cli):
    result = cli.invoke(args=["replay", str(SHIPPED[0]), str(SHIPPED[1])])
    assert result.exit_code == 0, result.output
    assert "> dial" in result.output and "language.welcome [ar]" in result.output
    assert result.output.rstrip().endswith("2 passed, 0 failed, 0 skipped")


def test_the_replay_transcript_shows_the_credentials_sms_without_its_password(cli):
    result = cli.invoke(args=["replay", str(PROJECT_DIR / "scenarios" / "fr_complete_mobile_on_file.yaml")])
    assert result.exit_code == 0, result.output
    [sms] = [line for line in result.output.splitlines() if "SMS to" in line]
    assert "Mot de passe: ‹hidden› (temporaire)" in sms
