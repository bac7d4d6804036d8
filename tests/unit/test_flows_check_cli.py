"""`flask --app app flows check` runs every check of flows/ and prompts/: `file:line: why` and exit 1, or exit 0."""

import os
import shutil

import pytest

import ivr.callflow.actions  # noqa: F401  (fills the registry)
from ivr.callflow import checks
from ivr.flows.loader import FLOWS_DIR, FlowError
from ivr.speech.catalog import PROMPTS_DIR
from tests.commands import run_flask
from tests.flow_files import edit, line_of


@pytest.fixture
def prompts(tmp_path):
    return shutil.copytree(PROMPTS_DIR, tmp_path / "prompts")


@pytest.fixture
def check(app):
    def run(*args):
        return app.test_cli_runner().invoke(args=["flows", "check", *map(str, args)])

    return run


def test_the_shipped_flows_and_prompts_pass(check):
    result = check()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flows ok: 36 states in 8 flows")


@pytest.mark.parametrize(
    "file, old, new, written, why",
    [
        ("completion.yaml", "num_digits: 10", "num_digit: 10", "num_digit", "unknown key 'num_digit' in input"),
        ("menu.yaml", "set: {intent: complete}", "set: {intnet: complete}", "intnet", "sets slot 'intnet'"),
        ("advisor.yaml", "dial: advisor", "dial: nobody", "dial: nobody", "only the advisor can be dialled"),
        ("advisor.yaml", "  connect:", "  connecting:", "open: connect,", "leads to unknown state advisor.connect"),
    ],
)
def test_each_typo_of_the_issue_is_refused_with_its_file_and_line(check, flows, file, old, new, written, why):
    edit(flows, file, old, new)
    result = check("--flows", flows)
    assert result.exit_code == 1
    assert f"{flows / file}:{line_of(flows, file, written)}: " in result.output and why in result.output


def test_a_renamed_advisor_queue_is_refused_in_the_book_too(check, flows):
    edit(flows, "advisor.yaml", "  connect:", "  connecting:")
    edit(flows, "advisor.yaml", "open: connect,", "open: connecting,")
    result = check("--flows", flows)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{flows / '_book.yaml'}:{line_of(flows, '_book.yaml', 'queue:')}: advisor.queue 'advisor.connect' is not a"
        " declared state (flow.state); did you mean 'advisor.connecting'?"
    )


def test_every_problem_is_printed_then_counted(check, flows):
    edit(flows, "completion.yaml", "num_digits: 10", "num_digit: 10")
    edit(flows, "advisor.yaml", "dial: advisor", "dial: nobody")
    lines = check("--flows", flows).output.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:2]] == [
        f"{flows / 'advisor.yaml'}:{line_of(flows, 'advisor.yaml', 'dial: nobody')}",
        f"{flows / 'completion.yaml'}:{line_of(flows, 'completion.yaml', 'num_digit')}",
    ]
    assert lines[2:] == ["2 problem(s): the app would refuse to start"]


def test_the_graph_checks_name_the_state_where_it_is_written(check, flows):
    with (flows / "menu.yaml").open("a", encoding="utf-8") as menu:
        menu.write("  orphan:\n    end: common.goodbye\n")
    result = check("--flows", flows)
    assert f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'orphan:')}: menu.orphan: unreachable" in result.output


def test_a_prompt_missing_in_one_language_is_refused_where_the_other_writes_it(check, prompts):
    edit(prompts, "ar/calls.yaml", 'menu.invalid: "', 'menu.invalid_ar: "')
    result = check("--prompts", prompts)
    assert result.exit_code == 1
    fr_line, ar_line = (
        line_of(prompts, "fr/calls.yaml", "menu.invalid:"),
        line_of(prompts, "ar/calls.yaml", "invalid_ar"),
    )
    assert f"{prompts / 'fr' / 'calls.yaml'}:{fr_line}: menu.invalid: missing in ar" in result.output
    assert f"{prompts / 'ar' / 'calls.yaml'}:{ar_line}: menu.invalid_ar: missing in fr" in result.output
    assert "menu.choose: prompt 'menu.invalid' is missing in ar" in result.output


def test_the_app_refuses_to_start_on_the_same_problems(check, flows, monkeypatch):
    edit(flows, "completion.yaml", "num_digits: 10", "num_digit: 10")
    printed = check("--flows", flows).output.splitlines()[:-1]
    monkeypatch.setattr(checks, "FLOWS_DIR", flows)
    with pytest.raises(FlowError) as refused:
        checks.load_checked()
    assert refused.value.problems == printed


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project (code, flows, prompts, reference data) that a newcomer may break."""
    source = FLOWS_DIR.parent
    copy = tmp_path / "project"
    for folder in ("ivr", "flows", "prompts", "migrations"):
        shutil.copytree(source / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "data").mkdir()
    for file in ("app.py", "alembic.ini", "data/categories.yaml"):
        shutil.copy(source / file, copy / file)
    return copy


def test_flask_flows_check_reports_broken_shipped_flows_that_keep_the_app_from_starting(project_copy):
    edit(project_copy / "flows", "completion.yaml", "num_digits: 10", "num_digit: 10")
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{project_copy / 'data' / 'ivr.sqlite3'}"}
    result = run_flask("flows", "check", env=environment, cwd=project_copy)
    line = line_of(project_copy / "flows", "completion.yaml", "num_digit")
    assert result.returncode == 1, result.stderr
    assert f"flows/completion.yaml:{line}: completion.ask_mobile: unknown key 'num_digit'" in result.stderr
    assert "Traceback" not in result.stderr
    started = run_flask("routes", env=environment, cwd=project_copy)
    assert started.returncode != 0 and f"flows/completion.yaml:{line}" in started.stderr  # the app refuses to start
