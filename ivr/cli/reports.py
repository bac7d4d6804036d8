"""CLI: the campaign's reports (funnel, drop-off, SMS, hours) over a period, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import click
from flask.cli import AppGroup

from ivr.callflow.calls import local_zone, since_time
from ivr.cli.tables import table
from ivr.reports import campaign
from ivr.reports.campaign import END_KINDS, HOUR_COUNTS, Period
from ivr.web.extension import current_runtime

report = AppGroup("report", help="The campaign's numbers: counts only, no personal data.")

FORMATS = click.Choice(["text", "json", "csv"])
WHEN = "30m, 2h, 1d, or a Casablanca date or time (2026-12-01, 2026-12-01 09:30)"


def period_options(command: Any) -> Any:
    """Add --since, --until and --format to a report command."""
    command = click.option("--format", "form", type=FORMATS, default="text", show_default=True, help="Output.")(command)
    command = click.option("--until", metavar="WHEN", help=f"Only calls started before then: {WHEN}.")(command)
    return click.option("--since", metavar="WHEN", help=f"Only calls started since then: {WHEN}.")(command)


def chosen_period(since: str | None, until: str | None) -> tuple[Period, dict[str, str | None]]:
    """Return the period the options give, and how it is shown (local ISO times, or None for open)."""
    rt = current_runtime()
    zone, now = local_zone(rt), rt.now()
    bounds = {}
    for name, text in (("since", since), ("until", until)):
        try:
            bounds[name] = since_time(text, now, zone) if text else None
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=f"--{name}") from None
    shown = {name: campaign.local_time_text(moment, zone) if moment else None for name, moment in bounds.items()}
    return Period(bounds["since"], bounds["until"]), {**shown, "timezone": zone.key}


def emit(
    form: str, data: dict[str, Any], header: Sequence[str], rows: Sequence[Sequence[Any]], text: list[str]
) -> None:
    """Print a report as JSON, CSV (the header and rows) or text (lines)."""
    if form == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif form == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        for line in text:
            click.echo(line)


def heading(title: str, period: dict[str, str | None]) -> str:
    since, until = period["since"] or "the first call", period["until"] or "now"
    return f"{title}: calls started from {since} to {until} ({period['timezone']})"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def counted(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return [f"{title}: none"]
    return ["", *table([title, "count"], [[name, str(count)] for name, count in counts.items()])]


@report.command("funnel", short_help="The registration funnel: calls that reached each stage.")
@period_options
def funnel_command(since: str | None, until: str | None, form: str) -> None:
    """The registration funnel: calls that reached each stage (and every stage before it), by language; transfers
    by reason, disputes by declared category, lockouts."""
    period, shown = chosen_period(since, until)
    found = campaign.funnel(current_runtime(), period)
    languages = list(found.by_language)
    data = {
        "period": shown,
        "calls": found.calls,
        "completed": found.completed,
        "stages": [{"name": name, "calls": calls} for name, calls in found.stages],
        "by_language": {
            language: [{"name": name, "calls": calls} for name, calls in stages]
            for language, stages in found.by_language.items()
        },
        "transfer_reasons": found.transfer_reasons,
        "disputes": found.disputes,
        "lockouts": found.lockouts,
        "locked_out_calls": found.locked_out_calls,
    }
    header = ["stage", "calls", *languages]
    rows = [
        [name, calls, *(found.by_language[language][i][1] for language in languages)]
        for i, (name, calls) in enumerate(found.stages)
    ]
    text_rows = [
        [name, str(calls), percent(calls, found.calls), *(str(found.by_language[lang][i][1]) for lang in languages)]
        for i, (name, calls) in enumerate(found.stages)
    ]
    lines = [heading("Registration funnel", shown), ""]
    lines += table(["stage", "calls", "of calls", *languages], text_rows)
    lines += counted("transfer reason", found.transfer_reasons)
    lines += counted("disputed category", found.disputes)
    lines += counted("lockout", found.lockouts)
    lines += ["", f"calls turned away by a lockout: {found.locked_out_calls}"]
    emit(form, data, header, rows, lines)


@report.command("dropoff")
@period_options
def dropoff_command(since: str | None, until: str | None, form: str) -> None:
    """Where ended calls ended, per state: hung up, timed out, transferred (at the state they left), finished."""
    period, shown = chosen_period(since, until)
    found = campaign.dropoff(current_runtime(), period)
    data = {
        "period": shown,
        "states": [{"state": state, **counts} for state, counts in found.states.items()],
        "totals": {kind: found.total(kind) for kind in END_KINDS},
        "transfer_reasons": found.transfer_reasons,
    }
    header = ["state", *END_KINDS]
    rows = [[state, *(counts[kind] for kind in END_KINDS)] for state, counts in found.states.items()]
    totals = ["all states", *(str(found.total(kind)) for kind in END_KINDS)]
    lines = [heading("Where calls ended", shown), ""]
    lines += table(header, [[str(cell) for cell in row] for row in rows] + [totals])
    lines += counted("transfer reason", found.transfer_reasons)
    emit(form, data, header, rows, lines)


@report.command("sms", short_help="Credentials SMS by outcome and language, and the resends.")
@period_options
def sms_command(since: str | None, until: str | None, form: str) -> None:
    """Credentials SMS created in the period by outcome (waiting, sent, delivered, undelivered, failed, unknown),
    by language, and the resends."""
    period, shown = chosen_period(since, until)
    found = campaign.sms(current_runtime(), period)
    data = {
        "period": shown,
        "total": found.total,
        "outcomes": found.outcomes,
        "by_language": found.by_language,
        "resends": found.resends,
        "resent_registrations": found.resent_registrations,
    }
    languages = list(found.by_language)
    header = ["outcome", "sms", *languages]
    rows = [
        [name, count, *(found.by_language[lang][name] for lang in languages)] for name, count in found.outcomes.items()
    ]
    lines = [heading("Credentials SMS", shown).replace("calls started", "SMS queued"), ""]
    lines += table(
        header, [[str(cell) for cell in row] for row in rows] + [["all", str(found.total), *([""] * len(languages))]]
    )
    lines += ["", f"resends: {found.resends} SMS to {found.resent_registrations} registrations"]
    emit(form, data, header, rows, lines)


@report.command("hours")
@period_options
@click.option("--by", type=click.Choice(["hour", "day"]), default="hour", show_default=True, help="Hours or days.")
def hours_command(since: str | None, until: str | None, form: str, by: str) -> None:
    """Calls per Casablanca hour (or day): calls, registrations completed, transferred, hung up."""
    period, shown = chosen_period(since, until)
    found = campaign.hours(current_runtime(), period, by)
    shape = "%Y-%m-%d" if by == "day" else "%Y-%m-%d %H:00"
    data = {
        "period": shown,
        "by": by,
        by + "s": [{by: f"{line.start:{shape}}", **line.counts} for line in found],
    }
    header = [by, *HOUR_COUNTS]
    rows = [[f"{line.start:{shape}}", *(line.counts[name] for name in HOUR_COUNTS)] for line in found]
    lines = [heading(f"Calls per {by}", shown), ""]
    lines += table(header, [[str(cell) for cell in row] for row in rows]) if rows else ["no calls"]
    emit(form, data, header, rows, lines)
