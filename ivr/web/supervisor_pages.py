"""The supervisors' pages: the campaign's numbers at a glance, in French or Arabic, for accounts with the supervisor
role (agents get a 403 page in their language). Counts only: no caller, number, CIN or CallSid is shown.

- The dashboard (/supervisor/): today's registration funnel beside the chosen period's (since/until in Casablanca
  time, a GET form), the calls in progress by state (a fragment htmx polls, 204 while unchanged, as the console's
  queue), why calls were sent to advisors, where calls ended, disputed categories, lockouts, SMS outcomes and calls
  per hour (or day). The numbers come from ivr/reports (the service `flask report` prints), the charts from the
  vendored Chart.js (static/supervisor/) reading the page's JSON block: no inline script or style, no CDN.
- Each table as CSV (or JSON): /supervisor/reports/<report>?since=…&until=…&format=csv.
- Each flow drawn with the period's numbers: /supervisor/flows/<flow> (the SVG itself at
  /supervisor/flows/<flow>/drawing.svg).

Sign-in, sessions, headers and languages are the agents' console's.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, abort, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ivr.agents import accounts
from ivr.callflow.calls import local_zone, since_time
from ivr.flows.diagram import DotFailed, DotMissing, flow_dot, flow_names, render_svg
from ivr.reports import campaign
from ivr.reports.campaign import END_KINDS, HOUR_COUNTS, STAGES, Period
from ivr.reports.flow_counts import flow_counts
from ivr.reports.live import live_calls
from ivr.runtime import Runtime
from ivr.web import console_locale
from ivr.web.agent_console import protect, signed_in
from ivr.web.console_words import when
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
P = ParamSpec("P")
bp = Blueprint("supervisor_pages", __name__, url_prefix="/supervisor")

_l = lazy_gettext
DEFAULT_DAYS = 7  # the chosen period, unless the supervisor chooses: the last 7 days, today included
HOURS_UP_TO = timedelta(days=2)  # a longer period is shown per day
FORM_TIME = "%Y-%m-%dT%H:%M"  # an <input type="datetime-local">'s value
STAGE_WORDS = {
    "calls": _l("calls"),
    "language chosen": _l("language chosen"),
    "asked to complete": _l("asked to complete their registration"),
    "identity asked": _l("asked for their CIN"),
    "identity verified": _l("identity verified"),
    "category confirmed": _l("category confirmed"),
    "registration completed": _l("registration completed"),
    "SMS sent": _l("SMS sent"),
    "SMS delivered": _l("SMS delivered"),
}
END_WORDS = {
    "hung up": _l("hung up"),
    "timed out": _l("did not answer"),
    "transferred": _l("sent to the advisors"),
    "finished": _l("ended by the server"),
}
SMS_WORDS = {
    "waiting": _l("waiting to be sent"),
    "sent": _l("sent, not yet delivered"),
    "delivered": _l("delivered"),
    "undelivered": _l("not delivered"),
    "failed": _l("failed"),
    "unknown": _l("outcome unknown"),
}
HOUR_WORDS = {
    "calls": _l("calls"),
    "completed": _l("registrations completed"),
    "transferred": _l("sent to the advisors"),
    "hung up": _l("hung up"),
}
LOCKOUT_WORDS = {"CIN": _l("a CIN locked"), "number": _l("a calling number locked")}
REPORTS = ("funnel", "today", "transfers", "dropoff", "disputes", "lockouts", "sms", "hours", "live")


@dataclass(frozen=True)
class Chosen:
    """The period the supervisor chose: for the reports, for the form (local times), in words."""

    period: Period
    since_field: str
    until_field: str
    by: str  # "hour" or "day"
    by_asked: str = ""  # "hour", "day", or "" for hours up to HOURS_UP_TO, else days
    error: str | None = None

    def args(self) -> dict[str, Any]:
        """The query that gives this period again (for links: CSV, flows, the other language)."""
        found = {"since": self.since_field, "until": self.until_field, "by": self.by_asked}
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True)
class Table:
    """A report as a table: machine columns and rows (CSV, JSON, as `flask report` names them) and, for the page,
    the columns and first cells in the supervisor's words."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    shown_columns: list[str]
    shown_names: list[str]


def supervisors_only(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Let only a signed-in supervisor through (the console's sign-in); an agent gets a 403 page in words."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if accounts.role_of(current_runtime(), g.agent) != accounts.SUPERVISOR:
            log.info("supervisors' pages: agent %r refused %s", g.agent.name, request.path)
            abort(
                403,
                _(
                    "These pages are for supervisors: your account is an agent's."
                    " Ask your supervisor if you need the campaign's numbers."
                ),
            )
        return view(*args, **kwargs)

    return signed_in(checked)


# The console's headers (no caching, no framing, a CSP without inline script or style); a language asked is kept.
bp.after_request(protect)


@bp.errorhandler(HTTPException)
def error_page(error: HTTPException) -> ResponseReturnValue:
    """Answer a refused request with a page in the supervisor's (or agent's) language."""
    given = error.description if error.description != type(error).description else None
    message = given or _("This page could not be shown. Go back to the dashboard and try again.")
    refused = error.code == 403  # an agent: back to their queue; a supervisor: back to the dashboard
    page = render_template("supervisor/error.html", message=message, agent=g.get("agent"), refused=refused)
    return page, error.code or 500


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    return {"page_switch_url": page_switch_url, "number": number}


def page_switch_url(language: str) -> str:
    """Return this page in another language, its period kept."""
    asked: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("lang", "seen", "format")}
    return url_for(
        request.endpoint or "supervisor_pages.dashboard", **(request.view_args or {}), **asked, lang=language
    )


def number(count: int) -> str:
    """Return a count as the supervisor's locale writes it (1 234, 1,234)."""
    return str(format_decimal(count, locale=get_locale()))


def percent(part: int, whole: int) -> str:
    return str(format_percent(part / whole, "#,##0.0%", locale=get_locale())) if whole else "–"


# The period.


def local_midnight(rt: Runtime, days_ago: int = 0, of: datetime | None = None) -> datetime:
    """Return the start of a Casablanca day (today's, or the day's of a stored time; or days before), as stored."""
    zone = local_zone(rt)
    moment = of if of is not None else rt.now()
    today = moment.replace(tzinfo=UTC).astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - timedelta(days=days_ago)).replace(tzinfo=None).replace(tzinfo=zone)  # the day's own offset
    return start.astimezone(UTC).replace(tzinfo=None)


def form_time(rt: Runtime, moment: datetime) -> str:
    return f"{moment.replace(tzinfo=UTC).astimezone(local_zone(rt)):{FORM_TIME}}"


def chosen_period(rt: Runtime) -> Chosen:
    """Return the period the query asks for (since, until: Casablanca times, or 30m, 2h, 1d), by default the last
    DEFAULT_DAYS days; a period it cannot read gives the default, with what was wrong in words."""
    now, zone = rt.now(), local_zone(rt)
    error, bounds = None, {}
    for name in ("since", "until"):
        text = request.args.get(name, "").strip()
        try:
            bounds[name] = since_time(text, now, zone) if text else None
        except ValueError:
            error = _("A date or time of the period could not be read: give it as 2026-12-01 09:30.")
    since, until = bounds.get("since"), bounds.get("until")
    if error is None and since is not None and until is not None and until <= since:
        error = _("The period ends before it starts: choose an end after its start.")
    if error is not None:
        since, until = None, None
    if since is None:  # the DEFAULT_DAYS days up to the end asked, or to today
        since = local_midnight(rt, DEFAULT_DAYS - 1, until)
    asked = request.args.get("by", "")
    asked = asked if asked in ("hour", "day") else ""
    by = asked or ("hour" if (until or now) - since <= HOURS_UP_TO else "day")
    return Chosen(
        Period(since, until),
        form_time(rt, since),
        form_time(rt, until) if until is not None else "",
        by,
        asked,
        error,
    )


# The reports as tables.


def funnel_table(found: campaign.Funnel, name: str = "funnel") -> Table:
    languages = list(found.by_language)
    rows: list[list[Any]] = [
        [stage, calls, *(found.by_language[language][i][1] for language in languages)]
        for i, (stage, calls) in enumerate(found.stages)
    ]
    shown = [_("Stage"), _("Calls"), *(console_language_name(language) for language in languages)]
    return Table(name, ["stage", "calls", *languages], rows, shown, [str(STAGE_WORDS[row[0]]) for row in rows])


def console_language_name(code: str) -> str:
    names = {"fr": _("in French"), "ar": _("in Arabic"), campaign.NO_LANGUAGE: _("no language chosen")}
    return names.get(code, code)


def counted_table(name: str, column: str, shown_column: str, counts: dict[str, int], words: Any) -> Table:
    rows: list[list[Any]] = [[key, count] for key, count in counts.items()]
    return Table(name, [column, "calls"], rows, [shown_column, _("Calls")], [words(key) for key in counts])


def reason_words(rt: Runtime, reason: str) -> str:
    return (rt.flows.reason_words(reason) or {}).get(console_locale.chosen_language()) or reason


def state_words(rt: Runtime, state: str) -> str:
    """Return a state in words (its title, else its flow's), with its name: supervisors read both."""
    words = (rt.flows.stood_words(state) or {}).get(console_locale.chosen_language())
    return f"{words} ({state})" if words and words != state else state


def category_words(rt: Runtime, code: str) -> str:
    """Return a declared category's label in the supervisor's language (data/categories.yaml), else its code."""
    try:
        return rt.categories.get(code).label.get(console_locale.chosen_language()) or code
    except KeyError:
        return code


def dropoff_table(rt: Runtime, found: campaign.DropOff) -> Table:
    rows: list[list[Any]] = [[state, *(counts[kind] for kind in END_KINDS)] for state, counts in found.states.items()]
    shown = [_("Where the call ended"), *(str(END_WORDS[kind]) for kind in END_KINDS)]
    return Table("dropoff", ["state", *END_KINDS], rows, shown, [state_words(rt, row[0]) for row in rows])


def sms_table(found: campaign.SmsReport) -> Table:
    languages = list(found.by_language)
    rows: list[list[Any]] = [
        [outcome, count, *(found.by_language[language][outcome] for language in languages)]
        for outcome, count in found.outcomes.items()
    ]
    shown = [_("Outcome"), _("SMS"), *(console_language_name(language) for language in languages)]
    return Table("sms", ["outcome", "sms", *languages], rows, shown, [str(SMS_WORDS[row[0]]) for row in rows])


def hours_table(lines: list[campaign.HourLine], by: str) -> Table:
    shape = "%Y-%m-%d" if by == "day" else "%Y-%m-%d %H:00"
    rows = [[f"{line.start:{shape}}", *(line.counts[name] for name in HOUR_COUNTS)] for line in lines]
    shown = [_("Day") if by == "day" else _("Hour"), *(str(HOUR_WORDS[name]) for name in HOUR_COUNTS)]
    return Table("hours", [by, *HOUR_COUNTS], rows, shown, [str(row[0]) for row in rows])


def live_table(rt: Runtime) -> Table:
    found = live_calls(rt)
    rows: list[list[Any]] = [[state, count] for state, count in found.states.items()]
    return Table(
        "live",
        ["state", "calls"],
        rows,
        [_("Where the call is"), _("Calls")],
        [state_words(rt, s) for s in found.states],
    )


def funnel_tables(rt: Runtime, found: campaign.Funnel) -> dict[str, Table]:
    """Return the tables one funnel report gives: the stages, transfer reasons, disputed categories, lockouts."""
    return {
        "funnel": funnel_table(found),
        "transfers": counted_table(
            "transfers", "reason", _("Why"), found.transfer_reasons, lambda key: reason_words(rt, key)
        ),
        "disputes": counted_table(
            "disputes", "category", _("Declared category"), found.disputes, lambda key: category_words(rt, key)
        ),
        "lockouts": counted_table(
            "lockouts", "lockout", _("Lockout"), found.lockouts, lambda key: str(LOCKOUT_WORDS.get(key, key))
        ),
    }


def report_table(rt: Runtime, name: str, chosen: Chosen) -> Table:
    """Return one report of the dashboard as a table, for the chosen period."""
    period = chosen.period
    if name == "today":
        return funnel_table(campaign.funnel(rt, Period(local_midnight(rt))), "today")
    if name == "live":
        return live_table(rt)
    if name in ("funnel", "transfers", "disputes", "lockouts"):
        return funnel_tables(rt, campaign.funnel(rt, period))[name]
    if name == "dropoff":
        return dropoff_table(rt, campaign.dropoff(rt, period))
    if name == "sms":
        return sms_table(campaign.sms(rt, period))
    if name == "hours":
        return hours_table(campaign.hours(rt, period, chosen.by), chosen.by)
    raise KeyError(name)


# The pages.


@bp.get("/")
@supervisors_only
def dashboard() -> ResponseReturnValue:
    rt, chosen = current_runtime(), chosen_period(current_runtime())
    today_found = campaign.funnel(rt, Period(local_midnight(rt)))
    found = campaign.funnel(rt, chosen.period)
    sms_found = campaign.sms(rt, chosen.period)
    tables = {
        "today": funnel_table(today_found, "today"),
        **funnel_tables(rt, found),
        "dropoff": dropoff_table(rt, campaign.dropoff(rt, chosen.period)),
        "sms": sms_table(sms_found),
        "hours": hours_table(campaign.hours(rt, chosen.period, chosen.by), chosen.by),
    }
    live = live_table(rt)
    stages = [str(STAGE_WORDS[stage]) for stage in STAGES]
    charts = {
        "rtl": console_locale.text_direction(console_locale.chosen_language()) == "rtl",
        "funnel": {
            "labels": stages,
            "datasets": [
                {"label": _("Today"), "data": [calls for _stage, calls in today_found.stages]},
                {"label": _("Chosen period"), "data": [calls for _stage, calls in found.stages]},
            ],
        },
        "transfers": one_series(tables["transfers"], _("Calls")),
        "sms": one_series(tables["sms"], _("SMS")),
        "hours": {
            "labels": [row[0] for row in tables["hours"].rows],
            "datasets": [
                {"label": str(HOUR_WORDS[name]), "data": [row[1 + i] for row in tables["hours"].rows]}
                for i, name in enumerate(HOUR_COUNTS)
            ],
        },
    }
    rates = {
        "today": percent(today_found.completed, today_found.calls),
        "period": percent(found.completed, found.calls),
    }
    return render_template(
        "supervisor/dashboard.html",
        agent=g.agent,
        chosen=chosen,
        period_words=period_words(rt, chosen.period),
        today=today_found,
        found=found,
        rates=rates,
        percent=percent,
        sms_found=sms_found,
        tables=tables,
        live=live,
        live_signature=signature(live),
        charts=charts,
        flows=flow_names(rt.flows),
        flow_titles={flow: flow_title(rt, flow) for flow in flow_names(rt.flows)},
        csv_url=lambda name: url_for("supervisor_pages.report", name=name, format="csv", **chosen.args()),
    ), 400 if chosen.error else 200


def one_series(table: Table, label: str) -> dict[str, Any]:
    """A chart's data for a table of names and counts: the names in words, the second column's counts."""
    return {"labels": table.shown_names, "datasets": [{"label": label, "data": [row[1] for row in table.rows]}]}


def period_words(rt: Runtime, period: Period) -> str:
    """Return a period in words: from 19 nov. 00:00 to now, in Casablanca time."""
    until = when(period.until) if period.until is not None else _("now")
    return _("from %(since)s to %(until)s", since=when(period.since), until=until)


def flow_title(rt: Runtime, flow: str) -> str:
    """Return what a flow is in the supervisor's words (its declared title), else its name."""
    words = rt.flows.flow_titles.get(flow)
    return str(getattr(words, console_locale.chosen_language())) if words is not None else flow


def signature(table: Table) -> str:
    return hashlib.sha256(json.dumps(table.rows).encode()).hexdigest()[:16]


@bp.get("/live")
@supervisors_only
def live() -> ResponseReturnValue:
    """The calls in progress by state, for the dashboard's poll: 204 (nothing to redraw) while unchanged."""
    table = live_table(current_runtime())
    seen = signature(table)
    if request.args.get("seen") == seen:
        return Response(status=204)
    return render_template("supervisor/_live.html", live=table, live_signature=seen)


@bp.get("/reports/<name>")
@supervisors_only
def report(name: str) -> ResponseReturnValue:
    """One of the dashboard's tables as CSV (the default) or JSON, for the period the query gives."""
    if name not in REPORTS:
        abort(404, _("There is no such report. Go back to the dashboard and choose one there."))
    rt, chosen = current_runtime(), chosen_period(current_runtime())
    if chosen.error:
        abort(400, chosen.error)
    table = report_table(rt, name, chosen)
    shown = {
        "since": form_time(rt, chosen.period.since).replace("T", " ") if chosen.period.since else None,
        "until": form_time(rt, chosen.period.until).replace("T", " ") if chosen.period.until else None,
        "timezone": local_zone(rt).key,
    }
    if name == "today":
        shown["until"] = None
        shown["since"] = form_time(rt, local_midnight(rt)).replace("T", " ")
    if name == "live":
        shown = {"at": form_time(rt, rt.now()).replace("T", " "), "timezone": local_zone(rt).key}
    if request.args.get("format", "csv") == "json":
        body = {"report": name, "period": shown, "columns": table.columns, "rows": table.rows}
        return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")
    stamp = (shown.get("since") or shown.get("at") or "").replace(" ", "_").replace(":", "")
    return Response(
        as_csv(table.columns, table.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
    )


def as_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


@bp.get("/flows/<flow>")
@supervisors_only
def flow_page(flow: str) -> ResponseReturnValue:
    """A flow drawn with the chosen period's numbers: calls through each state and along each arrow, drop-offs."""
    rt, chosen = current_runtime(), chosen_period(current_runtime())
    if flow not in flow_names(rt.flows):
        abort(404, _("There is no such flow. Go back to the dashboard and choose one there."))
    return render_template(
        "supervisor/flow.html",
        agent=g.agent,
        flow=flow,
        title=flow_title(rt, flow),
        chosen=chosen,
        period_words=period_words(rt, chosen.period),
        svg_url=url_for("supervisor_pages.flow_svg", flow=flow, **chosen.args()),
        flows=flow_names(rt.flows),
        flow_titles={name: flow_title(rt, name) for name in flow_names(rt.flows)},
    ), 400 if chosen.error else 200


@bp.get("/flows/<flow>/drawing.svg")
@supervisors_only
def flow_svg(flow: str) -> ResponseReturnValue:
    """The drawing itself: Graphviz's SVG of the flow with the period's numbers."""
    rt, chosen = current_runtime(), chosen_period(current_runtime())
    if flow not in flow_names(rt.flows) or chosen.error:
        abort(404)
    try:
        svg = render_svg(flow_dot(rt.flows, flow, flow_counts(rt, chosen.period)))
    except DotMissing:
        log.warning("supervisors' pages: Graphviz's dot is missing, no drawing of %s", flow)
        abort(503, _("The flows cannot be drawn on this server: Graphviz is not installed. Tell the administrator."))
    except DotFailed:
        log.exception("supervisors' pages: dot could not draw %s", flow)
        abort(500)
    return Response(svg, mimetype="image/svg+xml")
