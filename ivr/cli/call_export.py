"""CLI: calls of the audit trail (list the recent ones, export one as a replayable scenario)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ivr.callflow.calls import CallLookupError, NoSuchCall, call_sid_of, local_zone, recent_calls, since_time
from ivr.cli.tables import table
from ivr.simulator.export import ExportError, export_call
from ivr.web.extension import current_runtime

calls = AppGroup("calls", help="Inspect the calls of the audit trail.")


@calls.command("list", short_help="List the latest calls, newest first.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Show at most this many calls."
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Only the calls started since then: 30m, 2h, 1d, or a Casablanca date or time (2026-12-01 09:30).",
)
def list_command(limit: int, since: str | None) -> None:
    """List the latest calls, newest first: reference, CallSid, when they started (Casablanca time), language,
    where they stand or how they ended, the masked calling number."""
    rt = current_runtime()
    zone = local_zone(rt)
    try:
        start = since_time(since, rt.now(), zone) if since else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    found = recent_calls(rt, limit, start)
    if not found:
        click.echo("no calls" + (" since then" if since else " yet: place one with flask --app app call"))
        return
    rows = [
        [
            call.reference,
            call.call_sid,
            f"{call.started_at:%Y-%m-%d %H:%M:%S}",
            call.language or "-",
            call.caller,
            call.standing,
        ]
        for call in found
    ]
    for line in table(["reference", "CallSid", f"started ({zone.key})", "lang", "caller", "where"], rows):
        click.echo(line)


@calls.command("export", short_help="Export a recorded call as a scenario to replay.")
@click.argument("call_sid")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scenario to this file (default: print it).",
)
def export_command(call_sid: str, output: Path | None) -> None:
    """Export a recorded call (its CallSid, or its reference from `calls list`) as a scenario to replay with
    `flask replay`."""
    try:
        scenario = export_call(current_runtime(), exported_sid(call_sid))
    except (CallLookupError, ExportError) as error:
        raise click.ClickException(str(error)) from error
    if output is None:
        click.echo(scenario, nl=False)
        return
    output.write_text(scenario, encoding="utf-8")
    click.echo(f"{output} written; replay it with: flask --app app replay {output}")


def exported_sid(key: str) -> str:
    """Return the CallSid a CallSid or a reference names; an unknown one as given, for the export to refuse."""
    try:
        return call_sid_of(current_runtime(), key)
    except NoSuchCall:
        return key
