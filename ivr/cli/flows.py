"""CLI: flows check (every check of the flow declarations and the prompts, as `file:line: why`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

import ivr.callflow.actions  # noqa: F401  (registers the names the flows may use)
from ivr.callflow import checks
from ivr.flows.loader import FLOWS_DIR, FlowError
from ivr.speech.catalog import PROMPTS_DIR

flows = AppGroup("flows", help="Check the flow declarations (flows/) and the prompts they say (prompts/).")
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
