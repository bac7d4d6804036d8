"""`replay` runs every scenario it is given, ends with one summary line and an exit status, and writes JUnit XML."""

import xml.etree.ElementTree as ET
from pathlib import Path

from ivr.settings import PROJECT_DIR
from tests.conftest import AUTH_TOKEN

SHIPPED = PROJECT_DIR / "scenarios"
PASSES = SHIPPED / "hang_up_mid_flow.yaml"
ALSO_PASSES = SHIPPED / "info_menu_every_group.yaml"
GIVEN = SHIPPED / "resend_credentials.yaml"
GIVEN_REASON = "it sets the state before the call (given)"
WRONG = Path(__file__).parent / "scenarios" / "wrong_birth_date_expected_to_pass.yaml"


def replay(app, *args):
    return app.test_cli_runner().invoke(args=["replay", "--quiet", *map(str, args)])


def last_line(result) -> str:
    return result.output.rstrip().splitlines()[-1]


def test_a_failing_scenario_does_not_stop_the_others_and_the_status_is_1(app):
    result = replay(app, PASSES, WRONG, ALSO_PASSES)
    assert result.exit_code == 1
    assert f"== {ALSO_PASSES}: " in result.output  # played after the failure
    assert result.output.count("-- passed") == 2
    assert f"!! FAILED {WRONG}:10: step `expect: category.confirm`: " in result.output
    assert last_line(result) == "2 passed, 1 failed, 0 skipped"


def test_scenarios_that_all_pass_end_with_the_summary_and_status_0(app):
    result = replay(app, PASSES, ALSO_PASSES)
    assert result.exit_code == 0, result.output
    assert last_line(result) == "2 passed, 0 failed, 0 skipped"


def test_fail_fast_stops_at_the_first_failure_and_counts_the_rest_as_skipped(app):
    result = replay(app, "--fail-fast", WRONG, PASSES, ALSO_PASSES)
    assert result.exit_code == 1
    assert f"== {PASSES}" not in result.output
    assert "stopped at this failure, 2 not run" in result.output
    assert last_line(result) == "0 passed, 1 failed, 2 skipped"


def test_the_junit_file_has_one_testcase_per_scenario_with_the_failure_at_its_line(app, tmp_path):
    junit = tmp_path / "replay.xml"
    result = replay(app, "--junit", junit, PASSES, WRONG)
    assert result.exit_code == 1
    [suite] = ET.parse(junit).getroot().iter("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "0")
    passed, failed = suite.findall("testcase")
    assert passed.get("name") == "A caller hangs up at the birth date question; the call just ends"
    assert passed.get("classname").endswith("scenarios.hang_up_mid_flow")
    assert float(passed.get("time")) > 0 and list(passed) == []
    failure = failed.find("failure")
    assert failure.get("message").startswith(f"{WRONG}:10: step `expect: category.confirm`: expected prompt")
    assert "> press 01011950" in failure.text  # the transcript, with the keys as written


def test_against_a_server_a_scenario_that_needs_a_given_state_is_skipped_with_the_reason(app, served_app, tmp_path):
    junit = tmp_path / "replay.xml"
    result = replay(app, "--url", served_app, "--auth-token", AUTH_TOKEN, "--junit", junit, GIVEN)
    assert result.exit_code == 0, result.output
    assert f"-- skipped: {GIVEN_REASON}" in result.output
    assert last_line(result) == "0 passed, 0 failed, 1 skipped"
    skipped = ET.parse(junit).getroot().find("testsuite/testcase/skipped")
    assert skipped.get("message") == f"{GIVEN_REASON}, which only the in-process sandbox can do"


def test_a_server_that_does_not_answer_fails_each_scenario_at_its_file_and_the_next_still_runs(app):
    result = replay(app, "--url", "http://127.0.0.1:9", "--auth-token", AUTH_TOKEN, PASSES, ALSO_PASSES)
    assert result.exit_code == 1
    assert f"!! FAILED {PASSES}:1: dialling: " in result.output
    assert f"!! FAILED {ALSO_PASSES}:1: dialling: " in result.output
    assert last_line(result) == "0 passed, 2 failed, 0 skipped"


def test_files_that_are_not_scenarios_are_each_named_and_nothing_runs_with_status_2(app, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: A step that does not exist\nsteps:\n  - shout: hello\n", encoding="utf-8")
    not_yaml = tmp_path / "not_yaml.yaml"
    not_yaml.write_text("name: [unclosed\n", encoding="utf-8")
    result = replay(app, PASSES, broken, not_yaml)
    assert result.exit_code == 2
    assert f"{broken}:3: unknown step 'shout'" in result.output and f"{not_yaml}:" in result.output
    assert "2 of 3 files are not scenarios as written: nothing was run" in result.output
    assert "== " not in result.output
