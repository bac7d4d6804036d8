"""CLI: flows check (every check of the flow declarations and the prompts, as `file:line: why`) and flows diagram
(each flow drawn as an SVG with Graphviz, with a period's numbers from the audit trail when asked)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, ScriptInfo

import ivr.callflow.actions  # noqa: F401  (registers the names the flows may use)
from ivr.callflow import checks
from ivr.cli.reports import WHEN, chosen_period
from ivr.flows import diagram
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.reports.flow_counts import flow_counts
from ivr.speech.catalog import PROMPTS_DIR
from ivr.web.extension import current_runtime

flows = AppGroup(
    "flows", help="Check the flow declarations (flows/) and the prompts they say (prompts/); draw the flows."
)
EXIT_OK, EXIT_PROBLEMS = 0, 1
FOLDER = click.Path(file_okay=False, exists=True, path_type=Path)


@flows.command(
    "check", with_appcontext=False, short_help="Run every check the app runs as it starts; print each problem."
)
@click.option("--flows", "flows_dir", type=FOLDER, default=FLOWS_DIR, help="The flows to check (default: flows/).")
@click.option("--prompts", "prompts_dir", type=FOLDER, default=PROMPTS_DIR, help="Their prompts (default: prompts/).")
def check_command(flows_dir: Path, prompts_dir: Path) -> None:
    """Run every check the app runs as it starts; print each problem as `file:line: why` and exit 1, or exit 0."""
    try:
        book, catalog = checks.load_checked(flows_dir, prompts_dir)
    except FlowError as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(refused.problems)} problem(s): the app would refuse to start", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    flow_names = sorted({state.flow for state in book.states.values()})
    keys = len(next(iter(catalog.texts.values())))
    click.echo(
        f"flows ok: {len(book.states)} states in {len(flow_names)} flows ({', '.join(flow_names)});"
        f" prompts ok: {keys} keys in each of {', '.join(catalog.texts)}"
    )


@flows.command(
    "diagram", with_appcontext=False, short_help="Draw every flow as an SVG with Graphviz, with the numbers if asked."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to write <flow>.svg.",
)
@click.option("--flows", "flows_dir", type=FOLDER, default=FLOWS_DIR, help="The flows to draw (default: flows/).")
@click.option(
    "--counts",
    "with_counts",
    is_flag=True,
    help="Lay the period's numbers from the audit trail on the drawings: calls through each state and along each"
    " arrow, drop-offs marked (this builds the app, to read its store).",
)
@click.option("--since", metavar="WHEN", help=f"With --counts: only calls started since then: {WHEN}.")
@click.option("--until", metavar="WHEN", help=f"With --counts: only calls started before then: {WHEN}.")
def diagram_command(out_dir: Path, flows_dir: Path, with_counts: bool, since: str | None, until: str | None) -> None:
    """Draw every flow with Graphviz's dot: write OUT/<flow>.svg for each and print the files written; exit 1 when
    the flows do not load (`flows check` says why) or dot is not installed. With --counts, each drawing carries the
    numbers of the calls started in the period (--since, --until; default: every call)."""
    if not with_counts and (since or until):
        raise click.UsageError("--since and --until choose the period of --counts: add --counts")
    try:
        book = FlowBook.load(flows_dir)
    except FlowError as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(refused.problems)} problem(s): nothing drawn (flows check tells every problem)", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    counts = None
    if with_counts:
        try:
            diagram.dot_program()  # before reading the store: without dot nothing is drawn
        except diagram.DotMissing as missing:
            click.echo(f"flows diagram: {missing}", err=True)
            click.get_current_context().exit(EXIT_PROBLEMS)
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            period, shown = chosen_period(since, until)
            counts = flow_counts(current_runtime(), period)
        first, last = shown["since"] or "the first call", shown["until"] or "now"
        click.echo(f"numbers of the calls started from {first} to {last} ({shown['timezone']})")
    try:
        written = diagram.write_diagrams(book, out_dir, counts)
    except (diagram.DotMissing, diagram.DotFailed) as failed:
        click.echo(f"flows diagram: {failed}", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} flow(s) drawn in {out_dir}")
