"""CLI: prompts (render the catalog's audio; check the catalog)."""

from __future__ import annotations

import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

import click
import yaml
from flask.cli import AppGroup

from ivr.audio.library import AudioLibrary, sweep_leftovers
from ivr.audio.pieces import coverage, known_values, missing_recordings, texts_to_render
from ivr.audio.synthesis import SynthesisError, Synthesizer, unavailable_reason, voice_settings
from ivr.callflow import catalog_checks
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.speech.catalog import Catalog, CatalogError
from ivr.web.extension import current_runtime

prompts = AppGroup("prompts", help="Render the prompts as telephone audio; check the prompt catalog.")
EXIT_OK, EXIT_PROBLEMS, EXIT_NO_ENGINE = 0, 1, 2


@prompts.command("render")
@click.option(
    "--audio-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the audio (default: IVR_AUDIO_DIR).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Engine processes rendering at once.",
)
def render_command(audio_dir: Path | None, jobs: int) -> None:
    """Render every prompt in every language to 8 kHz WAV, skipping those already rendered."""
    voices = voice_settings()
    reason = unavailable_reason(voices)
    if reason:
        click.echo(f"cannot render the prompts: {reason} (apt-get install espeak-ng)", err=True)
        click.get_current_context().exit(EXIT_NO_ENGINE)
    rt = current_runtime()
    directory = audio_dir or Path(current_runtime().settings["IVR_AUDIO_DIR"])
    to_render = texts_to_render(rt.catalog.for_synthesis(), known_values(rt))  # Arabic as the synthesiser reads it
    todo = [(language, text) for language, texts in to_render.items() for text in texts]
    started = time.monotonic()
    if directory.exists():
        sweep_leftovers(directory)
    libraries = [AudioLibrary(directory, voices, Synthesizer()) for _ in range(jobs)]
    missing = [item for item in todo if not libraries[0].has(*item)]
    outcomes = render_all(missing, libraries) if missing else []
    failed = [outcome for outcome in outcomes if isinstance(outcome, str)]
    rendered = sum(outcome is True for outcome in outcomes)
    click.echo(
        f"{rendered} rendered, {len(todo) - rendered - len(failed)} unchanged, {len(failed)} failed "
        f"in {time.monotonic() - started:.1f} s, into {directory}"
    )
    for line in failed:
        click.echo(line, err=True)
    click.get_current_context().exit(EXIT_PROBLEMS if failed else EXIT_OK)


def render_all(todo: list[tuple[str, str]], libraries: list[AudioLibrary]) -> list[bool | str]:
    """Render texts with one engine process per library, showing progress; return each outcome."""
    idle: queue.SimpleQueue[AudioLibrary] = queue.SimpleQueue()
    for library in libraries:
        idle.put(library)

    def render_one(item: tuple[str, str]) -> bool | str:
        library = idle.get()
        try:
            return library.render(*item)
        except SynthesisError as error:
            return f"{item[0]}: {item[1][:40]!r}: {error}"
        finally:
            idle.put(library)

    try:
        with (
            ThreadPoolExecutor(max_workers=len(libraries)) as pool,
            click.progressbar(length=len(todo), label="Rendering prompts") as bar,
        ):
            jobs = [pool.submit(render_one, item) for item in todo]
            for _ in as_completed(jobs):
                bar.update(1)
            return [job.result() for job in jobs]
    finally:
        for library in libraries:
            library.close()


@prompts.command("check", short_help="Check the prompt catalog; report its coverage by studio recordings.")
@click.option(
    "--prompts-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The catalog to check (default: IVR_PROMPTS_DIR, prompts/).",
)
@click.option(
    "--flows-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=FLOWS_DIR,
    help="The flows that use it (default: flows/).",
)
@click.option(
    "--audio-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The audio library whose recordings' coverage to report (default: IVR_AUDIO_DIR, when it exists).",
)
@click.option("--verbose", is_flag=True, help="List each language's prompts that are not recorded.")
def check_command(prompts_dir: Path | None, flows_dir: Path, audio_dir: Path | None, verbose: bool) -> None:
    """Check the catalog: every key in every language, the same placeholders, no unused key; and report
    each language's coverage by studio recordings: recorded, synthetic (not recorded), missing (neither)."""
    prompts_dir = prompts_dir or Path(current_runtime().settings["IVR_PROMPTS_DIR"])
    try:
        catalog = Catalog.load(prompts_dir, check=False)
        problems = catalog_checks.problems(catalog, FlowBook.load(flows_dir), prompts_dir)  # each at its file:line
    except (OSError, yaml.YAMLError, CatalogError, FlowError, KeyError) as error:
        problems = [f"cannot read the catalog or the flows: {error}"]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.get_current_context().exit(EXIT_PROBLEMS)
    keys = len(catalog.texts[next(iter(catalog.texts))])
    recorded = f"; recorded alone: {', '.join(catalog.recorded)}" if catalog.recorded else ""
    click.echo(f"catalog ok: {keys} keys in each of {', '.join(catalog.texts)}{recorded}")
    directory = audio_dir or Path(current_runtime().settings["IVR_AUDIO_DIR"])
    if directory.is_dir():
        report_coverage(catalog, prompts_dir, directory, verbose)
    elif catalog.recorded:
        click.echo(f"{', '.join(catalog.recorded)}: no recordings yet ({directory} does not exist)")


def report_coverage(catalog: Catalog, prompts_dir: Path, directory: Path, verbose: bool) -> None:
    """Print, per language, how many spoken prompts are recorded, synthetic and missing (information only)."""
    library = AudioLibrary(directory, {}, None)
    recordings = library.recordings()
    for language in catalog.texts:
        found = coverage(
            catalog,
            language,
            partial(library.recorded, recordings, language),
            synthesis_unavailable(prompts_dir, language) is None,
        )
        click.echo(
            f"{language}: recorded {found.recorded}, synthetic {found.synthetic}, missing {found.missing}"
            f" (recordings in {directory})"
        )
        if verbose:
            for key in found.not_recorded:
                click.echo(f"  not recorded: {key}")
    values = known_values(current_runtime())
    for language, declared in catalog.recorded.items():
        missing = missing_recordings(catalog, language, partial(library.recorded, recordings, language), values)
        said = f"{language} ({declared.name}, recorded alone, key {declared.menu_key})"
        if not missing:
            click.echo(f"{said}: complete, offered on the language menu in play mode")
            continue
        click.echo(f"{said}: missing {len(missing)} recordings, not offered on the language menu until all are")
        for key in missing if verbose else missing[:5]:
            click.echo(f"  not recorded: {key}")
        if not verbose and len(missing) > 5:
            click.echo(f"  ... and {len(missing) - 5} more (--verbose lists them all)")


def synthesis_unavailable(prompts_dir: Path, language: str) -> str | None:
    """Say why a language's prompts cannot be synthesised here (no voice declared, or espeak-ng lacks it)."""
    try:
        voices = voice_settings(prompts_dir)
    except (OSError, KeyError, ValueError, TypeError, yaml.YAMLError) as error:
        return f"no voice settings ({error})"
    if language not in voices:
        return f"no synthetic voice for {language}"
    return unavailable_reason({language: voices[language]})
