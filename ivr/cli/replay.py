"""CLI: replay scripted scenarios (scenarios/*.yaml) in a sandbox or against a running server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from ivr.cli.caller import record
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.runs import load_callers, play_in_sandbox, play_remote
from ivr.simulator.scenario import Scenario, ScenarioError, load
from ivr.simulator.targets import RemoteTarget
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.web.extension import current_runtime


@click.command("replay")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", "base_url", help="Base URL of a running server (default: a fresh in-process sandbox).")
@click.option("--auth-token", help="Token to sign requests with (default: the app's TWILIO_AUTH_TOKEN).")
@click.option("--sms-url", help="Base URL of the Twilio API stand-in the server sends SMS through.")
@click.option("--callers", type=click.IntRange(min=1), help="Run the one scenario as this many callers.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="With --callers: how many calls at a time.",
)
@click.option(
    "--first-person",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Synthetic person of the first caller (person: synthetic); caller i plays person K+i.",
)
@click.option("--quiet", is_flag=True, help="Print only each scenario's result, not its transcript.")
@click.option(
    "--audio",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write what the caller heard to this WAV file (with several files: one WAV each, named after the scenario).",
)
@with_appcontext
def replay(
    files: tuple[Path, ...],
    base_url: str | None,
    auth_token: str | None,
    sms_url: str | None,
    callers: int | None,
    concurrency: int,
    first_person: int,
    quiet: bool,
    audio: Path | None,
) -> None:
    """Replay scenarios and check them; exit 1 at the first scenario that does not go as written."""
    if audio and callers:
        raise click.UsageError("--audio records one call: it does not go with --callers")
    with _quiet_logs("ivr", "alembic"):
        catalog = current_runtime().catalog
        try:
            scenarios = [load(path, catalog) for path in files]
        except ScenarioError as error:
            raise click.ClickException(str(error)) from error
        target = None
        if base_url:
            target = RemoteTarget(
                base_url, auth_token or current_runtime().settings["TWILIO_AUTH_TOKEN"], sms_url, catalog=catalog
            )
        if callers:
            _load(scenarios, target, callers, concurrency, first_person)
        else:
            _replay(scenarios, target, first_person, quiet, audio)


@contextmanager
def _quiet_logs(*names: str) -> Iterator[None]:
    """Keep only the warnings of these loggers while the transcript is the output; restore them after."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _audio_path(audio: Path | None, scenario: Scenario, several: bool) -> Path | None:
    if audio is None or not several:
        return audio
    return audio.with_name(f"{audio.stem}-{scenario.path.stem}{audio.suffix or '.wav'}")


def _replay(
    scenarios: list[Scenario], target: RemoteTarget | None, first_person: int, quiet: bool, audio: Path | None
) -> None:
    show = None if quiet else (lambda line: click.echo(line))
    passed = skipped = 0
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as stand_in:
        for scenario in scenarios:
            click.echo(f"== {scenario.path}: {scenario.name}")
            if target is not None and scenario.needs_sandbox:
                click.echo(f"-- skipped: {scenario.needs_sandbox}, which only the in-process sandbox can do")
                skipped += 1
                continue
            path = _audio_path(audio, scenario, len(scenarios) > 1)
            after = (lambda caller, path=path: record(caller, path)) if path else None
            outcome = (
                play_remote(scenario, target, show, first_person, after)
                if target is not None
                else play_in_sandbox(scenario, stand_in, show, first_person, after)
            )
            if not outcome.passed:
                click.echo(f"!! FAILED {outcome.mismatch or outcome.error}", err=True)
                raise SystemExit(1)
            passed += 1
            click.echo("-- passed")
    click.echo(f"{passed} passed, {skipped} skipped")


def _load(
    scenarios: list[Scenario], target: RemoteTarget | None, callers: int, concurrency: int, first_person: int
) -> None:
    if len(scenarios) != 1:
        raise click.UsageError("--callers runs one scenario: give exactly one FILE")
    scenario = scenarios[0]
    if target is not None and scenario.needs_sandbox:
        raise click.UsageError(f"{scenario.path} cannot run against --url: {scenario.needs_sandbox}")
    click.echo(f"== {scenario.path}: {scenario.name}, {callers} callers, {concurrency} at a time")
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as stand_in:
        report = load_callers(
            scenario, callers, concurrency, first_person=first_person, target=target, stand_in=stand_in
        )
    for line in report.lines():
        click.echo(line)
    if report.failed or report.errors:
        raise SystemExit(1)
