"""CLI: registrations (the liaison-list import)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from ivr.cli.tables import shortened, table
from ivr.registration import listing, synthetic
from ivr.registration.importer import ImportFileError, ImportReport, ImportStopped, check_readable, import_liaison_list
from ivr.settings import DATA_DIR
from ivr.web.extension import current_runtime

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from click._termui_impl import ProgressBar  # what click.progressbar returns

DEMO_LIST = DATA_DIR / "demo" / "liaison.csv"
EXIT_OK, EXIT_ROWS_REJECTED, EXIT_FILE_UNUSABLE, EXIT_STOPPED = 0, 1, 2, 3
PROGRESS_STEP = 1 << 20  # bytes read between two moves of the progress bar

registrations = AppGroup("registrations", help="Import and inspect the liaison bodies' lists.")


@registrations.command("list")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Show at most this many people."
)
@click.option(
    "--registered/--pending",
    default=None,
    help="Only the people who completed their registration, or only those who have not yet.",
)
def list_command(limit: int, registered: bool | None) -> None:
    """List the pre-registered people by name: category, masked mobile, registration number (no CIN or birth
    date: the store keeps them only as digests)."""
    rt = current_runtime()
    found = listing.people(rt.store, rt.categories, limit, registered)
    counted = listing.count(rt.store)
    if counted.total == 0:
        click.echo("nobody is pre-registered yet: flask --app app registrations load-demo (or import FILE)")
        return
    rows = [
        [
            person.name,
            f"{shortened(person.category_label, 32)} ({person.category})",
            person.mobile,
            person.number or "pending",
        ]
        for person in found
    ]
    for line in table(["name", "category", "mobile", "registration number"], rows):
        click.echo(line)
    which = {True: " registered", False: " pending", None: ""}[registered]
    click.echo(
        f"{len(found)}{which} shown; {counted.total} pre-registered: {counted.registered} registered,"
        f" {counted.pending} pending"
    )


@registrations.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_command(file: Path) -> None:
    """Import a liaison list (CSV: cin,last_name,first_name,birth_date,category,mobile,source)."""
    click.get_current_context().exit(_import(file))


@registrations.command("load-demo")
def load_demo_command() -> None:
    """Import the invented demo people of data/demo/liaison.csv."""
    click.get_current_context().exit(_import(DEMO_LIST))


@registrations.command("load-synthetic")
@click.option(
    "--count",
    type=click.IntRange(min=1, max=synthetic.MAX_PEOPLE),
    required=True,
    help="How many synthetic people to import.",
)
@click.option(
    "--start",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The first one's number (people start .. start+count-1).",
)
def load_synthetic_command(count: int, start: int) -> None:
    """Import deterministic synthetic people (CINs SY9...) for load runs: person i is always the same."""
    if start + count > synthetic.MAX_PEOPLE:
        raise click.BadParameter(f"synthetic people are numbered 0 to {synthetic.MAX_PEOPLE - 1}")
    try:
        report = import_liaison_list(current_runtime(), synthetic.csv_lines(start, count))
    except ImportStopped as stopped:
        click.get_current_context().exit(_print_stopped(stopped))
    _print(report)
    click.get_current_context().exit(EXIT_ROWS_REJECTED if report.errors else EXIT_OK)


def _import(path: Path) -> int:
    """Import one file with a progress bar on a terminal, print the report and return the exit status.

    The whole file is read once before the import, so that a file that breaks off part way (not UTF-8,
    broken CSV, a huge field) imports nothing; a database failure part way is reported with the lines stored.
    """
    try:
        _check_utf8(path)
        with _text_lines(path.open("rb")) as lines:
            check_readable(lines)
        with (
            path.open("rb") as raw,
            _progress_bar(path) as bar,
            _text_lines(io.BufferedReader(_ReadCounter(raw, bar.update))) as lines,
        ):
            report = import_liaison_list(current_runtime(), lines)
    except (OSError, ImportFileError) as error:
        click.echo(f"{path}: {_describe(error)}", err=True)
        return EXIT_FILE_UNUSABLE
    except ImportStopped as stopped:
        return _print_stopped(stopped, path)
    _print(report)
    return EXIT_ROWS_REJECTED if report.errors else EXIT_OK


def _text_lines(raw: io.BufferedReader) -> io.TextIOWrapper:
    """Return a binary file's text, as the CSV reader needs it."""
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _progress_bar(path: Path) -> ProgressBar[int]:
    """Return a bar of the file's bytes read, on stderr and only on a terminal: the report stays parseable."""
    return click.progressbar(
        length=path.stat().st_size, label=f"importing {path.name}", file=sys.stderr, hidden=not sys.stderr.isatty()
    )


class _ReadCounter(io.RawIOBase):
    """A binary file that tells how many bytes were read from it, every PROGRESS_STEP and at the end."""

    def __init__(self, raw: io.BufferedIOBase, on_read: Callable[[int], None]):
        self.raw, self.on_read, self.unreported = raw, on_read, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        count = self.raw.readinto(buffer)
        self.unreported += count or 0
        if self.unreported >= PROGRESS_STEP or (count == 0 and self.unreported):
            self.on_read(self.unreported)
            self.unreported = 0
        return count


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8 before importing any of it, naming the first bad line."""
    with path.open("rb") as raw_lines:
        for number, raw in enumerate(raw_lines, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFileError(f"line {number} is not UTF-8 text: save the file as UTF-8") from None


def _describe(error: OSError | ImportFileError) -> str:
    """Say why a file could not be imported."""
    if isinstance(error, OSError):
        return f"cannot read the file ({error.strerror or error})"
    return str(error) if error.line is None else f"{error}: nothing was imported"


def _print_stopped(stopped: ImportStopped, path: Path | None = None) -> int:
    """Print what an import stopped part way stored, and where it stopped; return its exit status."""
    _print(stopped.report)
    stored = (
        f"lines 2-{stopped.settled_through} were imported or rejected as listed above"
        if stopped.settled_through > 1
        else "nothing was imported"
    )
    where = f"{path}: " if path else ""
    click.echo(
        f"{where}stopped at line {stopped.line}: {stopped.reason}; {stored}, nothing from line "
        f"{stopped.line} on: import the whole file again once the fault is mended",
        err=True,
    )
    return EXIT_STOPPED


def _print(report: ImportReport) -> None:
    """Print the summary, then each rejected row."""
    click.echo(
        f"imported: {report.imported}, updated: {report.updated}, "
        f"unchanged: {report.unchanged}, rejected: {report.rejected}"
    )
    for error in report.errors:
        click.echo(f"line {error.line}: {error.reason}")
