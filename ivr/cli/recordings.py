"""CLI: prompts import-recordings (a studio's files made telephone audio, in the audio library)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from ivr.audio import studio
from ivr.audio.library import sweep_leftovers
from ivr.audio.pieces import known_values, value_keys
from ivr.cli.prompts import EXIT_OK, EXIT_PROBLEMS, prompts
from ivr.web.extension import current_runtime


@prompts.command("import-recordings", short_help="Import a studio's recordings into the audio library.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--audio-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The audio library to import into (default: IVR_AUDIO_DIR).",
)
def import_recordings_command(directory: Path, audio_dir: Path | None) -> None:
    """Import a studio's recordings, DIRECTORY/<lang>/<key>.<ext> and <lang>/<key>/<N>.<ext> (wav, flac, mp3).

    Each is made 8 kHz mono 16-bit at one loudness, trimmed and faded, and stored in the audio library under
    a name of its content; one line a file says what was imported, replaced, unchanged or refused, and why.
    Values known in advance are recorded whole, as <lang>/value.<what>.<ext> (`prompts check --verbose` lists
    them); a language declared recorded_only is offered on the language menu once all of it is recorded.
    """
    rt = current_runtime()
    library = audio_dir or Path(rt.settings["IVR_AUDIO_DIR"])
    takes = studio.find_takes(directory, rt.catalog, value_keys(known_values(rt)))
    if library.exists():
        sweep_leftovers(library)
    with progress(len(takes)) as done:
        report = studio.import_takes(takes, library, done)
    for outcome in report.outcomes:
        click.echo(outcome.line())
    click.echo(f"{report.summary()}, into {library}")
    if report.deleted:
        click.echo(f"deleted {report.deleted} files of takes replaced over an hour ago")
    click.get_current_context().exit(EXIT_PROBLEMS if report.refused else EXIT_OK)


@contextlib.contextmanager
def progress(length: int) -> Iterator[Callable[[], None]]:
    """Yield what counts one file done: a progress bar on a terminal, nothing elsewhere (the report says all)."""
    with click.progressbar(length=length, label="Importing recordings", hidden=not sys.stdout.isatty()) as bar:

        def one_done() -> None:
            bar.update(1)

        yield one_done
