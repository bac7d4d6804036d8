"""`flask --app app --help` and every command's --help: descriptions whole, what the application is, and no
demo-token warning unless a server starts."""

from __future__ import annotations

import logging
import re

import flask.cli
import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from ivr.cli.help import APPLICATION, first_sentence
from ivr.factory import create_app
from ivr.settings import DEMO_AUTH_TOKEN
from ivr.web.extension import runtime_of

DEMO_WARNING = "TWILIO_AUTH_TOKEN is the demo value"
ENTRY = re.compile(r"^  (\S+)\s{2,}(.*)$")  # a command of a "Commands:" list: its name, its description begun


@pytest.fixture
def cli(settings):
    """The `flask` command as `flask --app app` builds it, on the demo token and outside the tests' mode."""
    built = []

    def build():
        app = create_app({**settings, "TESTING": False, "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN})
        built.append(app)
        return app

    group = FlaskGroup(name="flask", create_app=build, help=flask.cli.cli.help)
    yield group
    for app in built:
        runtime_of(app).store.dispose()


def listed(help_text: str) -> dict[str, str]:
    """Return the commands a help page lists, each with its description (its wrapped lines joined)."""
    commands: dict[str, str] = {}
    section = help_text.partition("\nCommands:\n")[2].split("\n\n")[0]
    name = None
    for line in section.splitlines():
        entry = ENTRY.match(line)
        if entry:
            name = entry[1]
            commands[name] = entry[2]
        elif name:
            commands[name] += " " + line.strip()
    return commands


def help_pages(cli, runner: CliRunner) -> dict[str, str]:
    """Return the --help output of the flask command and of every command under it, by command path."""
    pages, waiting = {}, [()]
    while waiting:
        path = waiting.pop()
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        pages[" ".join(("flask", *path))] = result.output
        waiting.extend((*path, name) for name in listed(result.output))
    return pages


def test_every_command_and_group_lists_its_commands_with_whole_descriptions(cli, caplog):
    with caplog.at_level(logging.WARNING):
        pages = help_pages(cli, CliRunner())

    assert {"flask call", "flask flows check", "flask prompts import-recordings", "flask report sms"} <= set(pages)
    for page, text in pages.items():
        for name, description in listed(text).items():
            assert not description.endswith("..."), f"{page}: {name}: {description}"
            assert description.endswith("."), f"{page}: {name}: {description}"
    assert DEMO_WARNING not in caplog.text


def test_the_top_level_help_says_what_the_application_is(cli):
    result = CliRunner().invoke(cli, ["--help"])

    assert " ".join(APPLICATION.split()) in " ".join(result.output.split())


def test_other_commands_do_not_warn_about_the_demo_token(cli, caplog):
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(cli, ["flows", "check"])
        CliRunner().invoke(cli, ["calls", "list"])

    assert result.exit_code == 0, result.output
    assert DEMO_WARNING not in caplog.text


def test_flask_run_warns_about_the_demo_token_as_the_server_starts(cli, caplog, monkeypatch):
    served = []
    monkeypatch.setattr(flask.cli, "run_simple", lambda host, port, app, **options: served.append(app))
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(cli, ["run"])

    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert caplog.text.count(DEMO_WARNING) == 1


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            "Export a recorded call (its CallSid) as a scenario.\n\n    More.",
            "Export a recorded call (its CallSid) as a scenario.",
        ),
        (
            "Import people (CINs SY9...) for load runs: person i is the same. Then more.",
            "Import people (CINs SY9...) for load runs: person i is the same.",
        ),
        ("Show e.g. this. And that.", "Show e.g. this."),
        ("No period at all", "No period at all"),
    ],
)
def test_a_description_is_the_first_sentence_whole(text, sentence):
    assert first_sentence(text) == sentence
