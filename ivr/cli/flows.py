"""CLI: flows check (every check of the flow declarations and the prompts, as `file:line: why`) and flows diagram
(each flow drawn as an SVG with Graphviz)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

import ivr.callflow.actions  # noqa: F401  (registers the names the flows may use)
from ivr.callflow import checks
from ivr.flows import diagram
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.speech.catalog import PROMPTS_DIR

flows = AppGroup(
    "flows", help="Check the flow declarations (flows/) and the prompts they say (prompts/); draw the flows."
)
EXIT_OK, EXIT_PROBLEMS = 0, 1
FOLDER = click.Path(file_okay=False, exists=True, path_type=Path)


@flows.command("check", with_appcontext=False)
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


@flows.command("diagram", with_appcontext=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to write <flow>.svg.",
)
@click.option("--flows", "flows_dir", type=FOLDER, default=FLOWS_DIR, help="The flows to draw (default: flows/).")
def diagram_command(out_dir: Path, flows_dir: Path) -> None:
    """Draw every flow with Graphviz's dot: write OUT/<flow>.svg for each and print the files written; exit 1 when
    the flows do not load (`flows check` says why) or dot is not installed."""
    try:
        book = FlowBook.load(flows_dir)
    except FlowError as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(refused.problems)} problem(s): nothing drawn (flows check tells every problem)", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    try:
        written = diagram.write_diagrams(book, out_dir)
    except (diagram.DotMissing, diagram.DotFailed) as failed:
        click.echo(f"flows diagram: {failed}", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} flow(s) drawn in {out_dir}")
