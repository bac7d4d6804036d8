"""CLI: replay scripted scenarios (scenarios/*.yaml) in a sandbox or against a running server."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import with_appcontext

from ivr.cli import coverage as flow_coverage
from ivr.cli.caller import record
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.coverage import Recorder
from ivr.simulator.results import FAILED, PASSED, SKIPPED, ScenarioResult, summary, write_junit
from ivr.simulator.runs import load_callers, play_in_sandbox, play_remote
from ivr.simulator.scenario import Scenario, ScenarioError, load
from ivr.simulator.targets import RemoteTarget
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.speech.catalog import Catalog
from ivr.web.extension import current_runtime

EXIT_FAILED, EXIT_USAGE = 1, 2  # 0: no scenario failed (each passed or was skipped)
FAIL_FAST_SKIP = "not run: an earlier scenario failed (--fail-fast)"


@click.command("replay")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", "base_url", help="Base URL of a running server (default: a fresh in-process sandbox).")
@click.option("--auth-token", help="Token to sign requests with (default: the app's TWILIO_AUTH_TOKEN).")
@click.option("--sms-url", help="Base URL of the Twilio API stand-in the server sends SMS through.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first scenario that fails; the rest count as skipped.")
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results to this file as JUnit XML (what CI systems read).",
)
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
    "--coverage",
    is_flag=True,
    help="Then say which states and transitions of the flows the calls exercised, and which never (from their audit"
    " trail: against --url, this app's DATABASE_URL must be the server's).",
)
@click.option(
    "--coverage-svg",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --coverage: also draw every flow as DIR/<flow>.svg, what was never exercised marked in red.",
)
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
    fail_fast: bool,
    junit_file: Path | None,
    callers: int | None,
    concurrency: int,
    first_person: int,
    quiet: bool,
    coverage: bool,
    coverage_svg: Path | None,
    audio: Path | None,
) -> None:
    """Replay scenarios, check each, and end with `N passed, N failed, N skipped`.

    Every scenario runs, even after one fails (unless --fail-fast). Against --url, a scenario that sets the
    state before the call (given) or the clock is skipped. Exit status: 0 when none failed, 1 when one did
    (with --callers: when a caller failed or erred), 2 for a usage error (an option, a file that is not a
    scenario: each such file is named with its line, and nothing runs).
    """
    if audio and callers:
        raise click.UsageError("--audio records one call: it does not go with --callers")
    if callers and (junit_file or fail_fast):
        raise click.UsageError("--junit and --fail-fast report scenarios one by one: they do not go with --callers")
    if callers and (coverage or coverage_svg):
        raise click.UsageError("--coverage reads the calls of scenarios replayed one by one: not with --callers")
    with _quiet_logs("ivr", "alembic"):
        catalog = current_runtime().catalog
        scenarios = _load_all(files, catalog)
        target = None
        if base_url:
            target = RemoteTarget(
                base_url, auth_token or current_runtime().settings["TWILIO_AUTH_TOKEN"], sms_url, catalog=catalog
            )
        if callers:
            _load(scenarios, target, callers, concurrency, first_person)
        else:
            recorder = Recorder(current_runtime().flows, current_runtime()) if coverage or coverage_svg else None
            output = _Output(quiet, audio, fail_fast, junit_file, recorder, coverage_svg)
            _replay(scenarios, target, first_person, output)


def _load_all(files: tuple[Path, ...], catalog: Catalog) -> list[Scenario]:
    """Read every file; name each one that is not a scenario (file:line: why) and stop before any call."""
    scenarios, problems = [], []
    for path in files:
        try:
            scenarios.append(load(path, catalog))
        except ScenarioError as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            click.echo(f"!! {problem}", err=True)
        click.echo(f"{len(problems)} of {len(files)} files are not scenarios as written: nothing was run", err=True)
        raise SystemExit(EXIT_USAGE)
    return scenarios


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


@dataclass(frozen=True)
class _Output:
    """What the replay prints and writes besides each scenario's result, and whether it stops at a failure."""

    quiet: bool
    audio: Path | None
    fail_fast: bool
    junit_file: Path | None
    coverage: Recorder | None = None  # reads each call's audit trail (--coverage)
    coverage_svg: Path | None = None


def _replay(scenarios: list[Scenario], target: RemoteTarget | None, first_person: int, output: _Output) -> None:
    results: list[ScenarioResult] = []
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as stand_in:
        for index, scenario in enumerate(scenarios):
            click.echo(f"== {scenario.path}: {scenario.name}")
            audio = _audio_path(output.audio, scenario, len(scenarios) > 1)
            result = _play_one(scenario, target, stand_in, first_person, output.quiet, audio, output.coverage)
            results.append(result)
            if result.status == FAILED:
                click.echo(f"!! FAILED {result.reason}", err=True)
            elif result.status == SKIPPED:
                click.echo(f"-- skipped: {result.reason}")
            else:
                click.echo("-- passed")
            if output.fail_fast and result.status == FAILED:
                rest = scenarios[index + 1 :]
                results += [ScenarioResult(s.path, s.name, SKIPPED, reason=FAIL_FAST_SKIP) for s in rest]
                click.echo(f"-- --fail-fast: stopped at this failure, {len(rest)} not run")
                break
    failures = [result for result in results if result.status == FAILED]
    if len(results) > 1 and failures:
        click.echo("failed:")
        for result in failures:
            click.echo(f"  {result.reason}")
    if output.junit_file:
        write_junit(results, output.junit_file)
        click.echo(f"JUnit XML: {output.junit_file}")
    if output.coverage is not None:
        flow_coverage.report(output.coverage, click.echo, output.coverage_svg)
    click.echo(summary(results))
    if failures:
        raise SystemExit(EXIT_FAILED)


def _play_one(
    scenario: Scenario,
    target: RemoteTarget | None,
    stand_in: TwilioApiStandIn,
    first_person: int,
    quiet: bool,
    audio: Path | None,
    coverage: Recorder | None = None,
) -> ScenarioResult:
    """Play one scenario (or skip it against a server that cannot be put in its state) and say how it went."""
    if target is not None and scenario.needs_sandbox:
        reason = f"{scenario.needs_sandbox}, which only the in-process sandbox can do"
        return ScenarioResult(scenario.path, scenario.name, SKIPPED, reason=reason)
    transcript: list[str] = []

    def show(line: str) -> None:
        transcript.append(line)
        if not quiet:
            click.echo(line)

    after = (lambda caller: record(caller, audio)) if audio else None
    after = coverage.chain(after) if coverage is not None else after
    started = time.perf_counter()
    try:
        outcome = (
            play_remote(scenario, target, show, first_person, after)
            if target is not None
            else play_in_sandbox(scenario, stand_in, show, first_person, after)
        )
        problem = outcome.problem
    except Exception as error:  # one scenario's unforeseen fault is its failure: the others still run
        problem = f"{scenario.path}: {type(error).__name__}: {error}"
    seconds = time.perf_counter() - started
    status = PASSED if problem is None else FAILED
    return ScenarioResult(scenario.path, scenario.name, status, seconds, problem, transcript)


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
        raise SystemExit(EXIT_FAILED)
