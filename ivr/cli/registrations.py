"""CLI: registrations (the liaison-list import)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from ivr.cli.tables import shortened, table
from ivr.registration import demo_store, listing, synthetic
from ivr.registration.importer import ImportFileError, ImportReport, ImportStopped, check_readable, import_liaison_list
from ivr.settings import DATA_DIR, DEFAULTS
from ivr.web.extension import current_runtime

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from click._termui_impl import ProgressBar  # what click.progressbar returns

DEMO_LIST = DATA_DIR / "demo" / "liaison.csv"
EXIT_OK, EXIT_ROWS_REJECTED, EXIT_FILE_UNUSABLE, EXIT_STOPPED = 0, 1, 2, 3
EXIT_NOT_A_DEMO_STORE = 4
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


@registrations.command("reset-demo")
@click.option(
    "--yes",
    is_flag=True,
    help="Confirm emptying the database of DATABASE_URL when it is not the demo's SQLite file (data/ivr.sqlite3).",
)
def reset_demo_command(yes: bool) -> None:
    """Empty the demo store and load the demo people again, as on a fresh machine.

    Everything goes: people, registrations, calls and their audit trail, SMS, lockouts, agents' accounts.
    Without --yes it only runs on the demo's SQLite file; a store that holds people of any list other than
    the demo's and the synthetic ones (a campaign's store) is never emptied, with --yes or not.
    """
    rt = current_runtime()
    url = rt.settings["DATABASE_URL"]
    if url != DEFAULTS["DATABASE_URL"] and not yes:
        shown = make_url(url).render_as_string(hide_password=True)
        raise click.UsageError(f"DATABASE_URL is {shown}, not the demo's SQLite file: add --yes to empty that database")
    try:
        deleted = demo_store.empty(rt.store, _demo_sources())
    except demo_store.NotADemoStore as refused:
        click.echo(f"not emptied: {refused}; reset-demo empties only a store of demo and synthetic people", err=True)
        click.get_current_context().exit(EXIT_NOT_A_DEMO_STORE)
    click.echo(f"emptied the store: {deleted} rows (people, calls, SMS, lockouts, agents' accounts)")
    click.get_current_context().exit(_import(DEMO_LIST))


@registrations.command("load-synthetic")
@click.option(
    "--count",
    type=click.IntRange(min=1, max=synthetic.MAX_PEOPLE),
    required=True,
    help="How many synthetic people to import.",
)
@click.option(
    "--first-person",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The first one's number K (people K .. K+count-1), as replay --first-person K plays them.",
)
@click.option(
    "--start", type=click.IntRange(min=0), hidden=True, deprecated="Use --first-person instead.", help="--first-person"
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Put them back to their pre-registered state (no registration, SMS, failed check or lockout), so that "
    "a load run plays the same again.",
)
def load_synthetic_command(count: int, first_person: int, start: int | None, fresh: bool) -> None:
    """Import deterministic synthetic people (CINs SY9...) for load runs: person i is always the same."""
    if start is not None:
        first_person = start
    if first_person + count > synthetic.MAX_PEOPLE:
        raise click.BadParameter(f"synthetic people are numbered 0 to {synthetic.MAX_PEOPLE - 1}")
    rt = current_runtime()
    try:
        report = import_liaison_list(rt, synthetic.csv_lines(first_person, count))
    except ImportStopped as stopped:
        click.get_current_context().exit(_print_stopped(stopped))
    _print(report)
    if fresh:
        done = demo_store.freshen_synthetic(rt.store, rt.secret, first_person, count)
        click.echo(
            f"made fresh: {done.registrations} registrations, {done.failed_checks} failed checks and "
            f"{done.lockouts} lockouts removed"
        )
    else:
        registered = demo_store.registered_synthetic(rt.store, rt.secret, first_person, count)
        if registered:
            click.echo(
                f"{registered} of them completed a registration already: a load run fails for them "
                f"(add --fresh to make them pre-registered again)"
            )
    click.get_current_context().exit(EXIT_ROWS_REJECTED if report.errors else EXIT_OK)


def _demo_sources() -> set[str]:
    """Return the sources (liaison bodies) of the demo list's people."""
    with DEMO_LIST.open(encoding="utf-8", newline="") as lines:
        return {row["source"] for row in csv.DictReader(lines)}


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
