"""CLI: calls of the audit trail (export one as a replayable scenario)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ivr.simulator.export import ExportError, export_call
from ivr.web.extension import current_runtime

calls = AppGroup("calls", help="Inspect the calls of the audit trail.")


@calls.command("export")
@click.argument("call_sid")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scenario to this file (default: print it).",
)
def export_command(call_sid: str, output: Path | None) -> None:
    """Export a recorded call as a scenario to replay with `flask replay`."""
    try:
        scenario = export_call(current_runtime(), call_sid)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    if output is None:
        click.echo(scenario, nl=False)
        return
    output.write_text(scenario, encoding="utf-8")
    click.echo(f"{output} written; replay it with: flask --app app replay {output}")
