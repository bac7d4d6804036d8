"""The dashboard's tables as CSV (and JSON) through Flask's test client, after the known mix of simulated calls: the
same counts as `flask report` for the same period, each table, refusals in words."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from ivr.agents import accounts
from ivr.store.models import CallSession
from tests.agent_support import sign_in
from tests.e2e.conftest import choose
from tests.e2e.test_reports import REASONS, STAGES, mix  # noqa: F401 (mix: the calls played, a fixture)

PERIODS = [
    ("7d", ""),
    ("2026-11-25", "2026-11-26"),
    ("2026-11-25 00:00", "2026-11-25 11:00"),  # until before the calls started (11:00 Casablanca)
]


@pytest.fixture
def supervisor(app, rt):
    """A browser-like client signed in as a supervisor."""
    client = app.test_client()
    assert sign_in(client, accounts.create_agent(rt, "Nadia", accounts.SUPERVISOR)[1]).status_code == 303
    return client


def cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def query(since: str, until: str, **more: str) -> dict[str, str]:
    return {name: value for name, value in {"since": since, "until": until, **more}.items() if value}


def cli_period(since: str, until: str) -> list[str]:
    return [*(["--since", since] if since else []), *(["--until", until] if until else [])]


@pytest.mark.usefixtures("mix")
@pytest.mark.parametrize("report", ["funnel", "dropoff", "sms"])
@pytest.mark.parametrize("since, until", PERIODS)
def test_each_reports_csv_is_the_clis_csv_for_the_same_period(app, supervisor, report, since, until):
    answer = supervisor.get(f"/supervisor/reports/{report}", query_string=query(since, until, format="csv"))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith(f'attachment; filename="{report}-')
    assert answer.headers["Cache-Control"] == "no-store"
    assert rows(answer.text) == rows(cli(app, report, "--format", "csv", *cli_period(since, until)))


@pytest.mark.usefixtures("mix")
@pytest.mark.parametrize("by", ["hour", "day"])
def test_the_hours_csv_is_the_clis_per_hour_and_per_day(app, supervisor, by):
    answer = supervisor.get("/supervisor/reports/hours", query_string={"since": "2026-11-25", "by": by})
    assert rows(answer.text) == rows(cli(app, "hours", "--since", "2026-11-25", "--by", by, "--format", "csv"))
    assert rows(answer.text)[1][1:] == ["8", "2", "3", "2"]


@pytest.mark.usefixtures("mix")
def test_the_transfers_disputes_and_lockouts_tables_count_what_the_funnel_report_counts(app, supervisor):
    found = json.loads(cli(app, "funnel", "--format", "json"))
    for name, key in (("transfers", "transfer_reasons"), ("disputes", "disputes"), ("lockouts", "lockouts")):
        table = rows(supervisor.get(f"/supervisor/reports/{name}").text)  # CSV by default
        assert {row[0]: int(row[1]) for row in table[1:]} == found[key], name
    assert rows(supervisor.get("/supervisor/reports/transfers").text)[0] == ["reason", "calls"]
    assert found["transfer_reasons"] == REASONS


@pytest.mark.usefixtures("mix")
def test_a_report_as_json_has_its_period_columns_and_rows(supervisor):
    answer = supervisor.get("/supervisor/reports/funnel?since=2026-11-25&format=json")
    data = answer.get_json()
    assert data["period"] == {"since": "2026-11-25 00:00", "until": None, "timezone": "Africa/Casablanca"}
    assert data["columns"] == ["stage", "calls", "ar", "fr"]
    assert [(row[0], row[1]) for row in data["rows"]] == STAGES
    today = supervisor.get("/supervisor/reports/today?format=json").get_json()
    assert today["period"]["since"] == "2026-11-25 00:00" and today["rows"][0][:2] == ["calls", 8]


def test_the_live_calls_csv_counts_the_calls_in_progress_by_state(supervisor, phone, people):
    assert rows(supervisor.get("/supervisor/reports/live").text) == [["state", "calls"]]
    first, second = phone("+212600000021"), phone("+212600000022")
    choose(first, "fr")
    choose(second, "ar")
    assert rows(supervisor.get("/supervisor/reports/live").text) == [["state", "calls"], ["menu.choose", "2"]]
    first.hangup()
    assert rows(supervisor.get("/supervisor/reports/live").text) == [["state", "calls"], ["menu.choose", "1"]]


def test_the_live_poll_answers_204_while_nothing_changed(supervisor, phone, people):
    page = supervisor.get("/supervisor/live", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "Aucun appel en cours." in page.text
    seen = page.text.split("seen=", 1)[1].split('"', 1)[0]
    assert supervisor.get(f"/supervisor/live?seen={seen}", headers={"HX-Request": "true"}).status_code == 204
    choose(phone("+212600000023"), "fr")
    changed = supervisor.get(f"/supervisor/live?seen={seen}", headers={"HX-Request": "true"})
    assert changed.status_code == 200 and 'data-key="menu.choose"' in changed.text


def test_a_period_the_page_cannot_read_is_refused_in_words(supervisor):
    answer = supervisor.get("/supervisor/reports/funnel?since=yesterday")
    assert answer.status_code == 400 and "2026-12-01 09:30" in answer.text and "text/html" in answer.content_type
    backwards = supervisor.get("/supervisor/reports/funnel?since=2026-11-25&until=2026-11-24&lang=ar")
    assert backwards.status_code == 400 and "تنتهي الفترة قبل أن تبدأ" in backwards.text
    page = supervisor.get("/supervisor/?since=yesterday")
    assert page.status_code == 400 and 'id="period-error"' in page.text  # the dashboard, of the default period


def test_a_period_with_an_end_alone_is_the_seven_days_up_to_it(supervisor):
    data = supervisor.get("/supervisor/reports/funnel?until=2026-11-10 12:00&format=json").get_json()
    assert data["period"]["since"] == "2026-11-04 00:00" and data["period"]["until"] == "2026-11-10 12:00"


def test_an_unknown_report_or_flow_is_a_page_in_words(supervisor):
    answer = supervisor.get("/supervisor/reports/salaries")
    assert answer.status_code == 404 and "existe pas. Revenez au tableau de bord" in answer.text
    assert 'href="/supervisor/">Retour au tableau de bord' in answer.text
    flow = supervisor.get("/supervisor/flows/nowhere?lang=ar")
    assert flow.status_code == 404 and "هذا المسار غير موجود" in flow.text


@pytest.mark.usefixtures("mix")
def test_no_report_shows_a_number_cin_or_callsid(supervisor, people, rt):
    everything = "".join(
        supervisor.get(f"/supervisor/reports/{name}").text
        for name in ("funnel", "today", "transfers", "dropoff", "disputes", "lockouts", "sms", "hours", "live")
    )
    everything += supervisor.get("/supervisor/").text
    with rt.store.transaction() as db:
        calls = db.execute(select(CallSession.call_sid, CallSession.from_number, CallSession.reference)).all()
    assert len(calls) == 8
    assert all(value not in everything for call in calls for value in call)
    assert all(person.cin_digits not in everything and person.birth not in everything for person in people.values())
