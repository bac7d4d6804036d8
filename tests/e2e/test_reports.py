"""The campaign's reports count a known mix of simulated calls exactly, in the service and in each CLI format."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from ivr.reports import campaign
from ivr.reports.campaign import Period
from ivr.store.models import CallOutcome
from tests.conftest import Person
from tests.e2e.conftest import choose, complete, identify

WRONG_BIRTH = "01012001"
UNLISTED = Person("950001", WRONG_BIRTH, "cpu", None)  # a CIN on no list


def sms_status(caller, message: dict, status: str) -> None:
    """Post Twilio's delivery report of an SMS to the app, signed as Twilio signs it."""
    answer = caller.post("/sms/status", {"MessageSid": message["sid"], "MessageStatus": status, "ErrorCode": ""})
    assert answer.status_code == 204


@pytest.fixture
def mix(people, phone, deliver_sms):
    """Play eight calls: two completions (one SMS delivered, one only sent), a hang-up and a time-out at the CIN
    question, a transfer with 0, a dispute, and a CIN locked out over two calls."""
    amina = phone("+212600000011")
    complete(amina, people["amina"])
    amina.hangup()  # hung up at credentials.sent, after hearing the number

    salma = phone("+212600000012")
    complete(salma, people["salma"], "ar")
    assert salma.wait().ended  # no answer after the number: the flow says goodbye (finished)

    first, second = sorted(deliver_sms(), key=lambda message: message["to"] != people["amina"].mobile)
    sms_status(amina, first, "sent")
    sms_status(amina, first, "delivered")
    sms_status(amina, second, "sent")

    hangs_up = phone("+212600000013")
    choose(hangs_up, "fr", "1")
    hangs_up.hangup()  # hung up at the CIN question

    silent = phone("+212600000014")
    choose(silent, "fr", "1")
    silent.wait()  # the CIN question timed out: reprompted
    silent.hangup()

    asks = phone("+212600000015")
    choose(asks, "ar")
    assert asks.press("0").dial is not None  # transferred from the main menu (caller_request)
    asks.advisor_answers()

    disputes = phone("+212600000016")
    choose(disputes, "fr", "1")
    identify(disputes, people["youssef"])
    assert disputes.press("2").dial is not None  # the declared category is not theirs
    disputes.advisor_answers()

    fails = phone("+212600000017")
    choose(fails, "fr", "1")
    for _ in range(3):
        turn = identify(fails, UNLISTED)
    assert turn.dial is not None  # identity_failed, at the third failed check
    fails.hangup()
    locked = phone("+212600000018")
    choose(locked, "fr", "1")
    identify(locked, UNLISTED)
    assert identify(locked, UNLISTED).ended  # the fifth failed check for the CIN locks it
    return people


STAGES = [
    ("calls", 8),
    ("language chosen", 8),
    ("asked to complete", 7),
    ("identity asked", 7),
    ("identity verified", 3),
    ("category confirmed", 2),
    ("registration completed", 2),
    ("SMS sent", 2),
    ("SMS delivered", 1),
]
REASONS = {"caller_request": 1, "category_disputed": 1, "identity_failed": 1}
DROPOFF = {
    "identity.ask_cin": {"hung up": 1, "timed out": 1, "transferred": 0, "finished": 0},
    "credentials.sent": {"hung up": 1, "timed out": 0, "transferred": 0, "finished": 0},
    "credentials.goodbye": {"hung up": 0, "timed out": 0, "transferred": 0, "finished": 1},
    "identity.locked_out": {"hung up": 0, "timed out": 0, "transferred": 0, "finished": 1},
    "menu.choose": {"hung up": 0, "timed out": 0, "transferred": 1, "finished": 0},
    "category.disputed": {"hung up": 0, "timed out": 0, "transferred": 1, "finished": 0},
    "identity.verify": {"hung up": 0, "timed out": 0, "transferred": 1, "finished": 0},
}


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_funnel_narrows_stage_by_stage_with_the_exact_counts_of_the_calls_played(mix, rt):
    found = campaign.funnel(rt)
    assert found.stages == STAGES
    assert (found.calls, found.completed) == (8, 2)
    assert found.by_language["ar"] == [
        (name, n) for name, n in zip(dict(STAGES), [2, 2, 1, 1, 1, 1, 1, 1, 0], strict=True)
    ]
    assert found.by_language["fr"] == [
        (name, a - b) for (name, a), (_, b) in zip(STAGES, found.by_language["ar"], strict=True)
    ]
    assert found.transfer_reasons == REASONS
    assert found.disputes == {"cpu": 1}
    assert found.lockouts == {"CIN": 1}
    assert found.locked_out_calls == 1


def test_the_dropoff_counts_each_ended_call_once_at_the_state_it_left(mix, rt):
    found = campaign.dropoff(rt)
    assert found.states == DROPOFF
    assert {kind: found.total(kind) for kind in campaign.END_KINDS} == {
        "hung up": 2,
        "timed out": 1,
        "transferred": 3,
        "finished": 2,
    }


def test_the_sms_report_counts_one_delivered_and_one_sent_with_no_resend(mix, rt):
    found = campaign.sms(rt)
    assert found.outcomes == {"waiting": 0, "sent": 1, "delivered": 1, "undelivered": 0, "failed": 0, "unknown": 0}
    assert found.by_language == {
        "ar": {"waiting": 0, "sent": 1, "delivered": 0, "undelivered": 0, "failed": 0, "unknown": 0},
        "fr": {"waiting": 0, "sent": 0, "delivered": 1, "undelivered": 0, "failed": 0, "unknown": 0},
    }
    assert (found.resends, found.resent_registrations) == (0, 0)


def test_the_hours_report_puts_every_call_in_its_casablanca_hour_and_day(mix, rt):
    # The fixed clock stands at 10:00 UTC, 11:00 in Casablanca.
    [hour] = campaign.hours(rt)
    assert (f"{hour.start:%Y-%m-%d %H:%M}", hour.counts) == (
        "2026-11-25 11:00",
        {"calls": 8, "completed": 2, "transferred": 3, "hung up": 2},
    )
    [day] = campaign.hours(rt, by="day")
    assert f"{day.start:%Y-%m-%d %H:%M}" == "2026-11-25 00:00" and day.counts == hour.counts


def test_a_period_that_ends_before_the_calls_counts_none_of_them(mix, rt):
    found = campaign.funnel(rt, Period(until=rt.now()))
    assert found.calls == 0 and found.transfer_reasons == {} and found.stages[-1] == ("SMS delivered", 0)


def test_the_funnel_command_gives_the_same_counts_as_json_csv_and_text(mix, app):
    data = json.loads(run(app, "funnel", "--format", "json"))
    assert (data["calls"], data["completed"]) == (8, 2)
    assert data["stages"] == [{"name": name, "calls": calls} for name, calls in STAGES]
    assert data["transfer_reasons"] == REASONS
    assert data["disputes"] == {"cpu": 1} and data["lockouts"] == {"CIN": 1}

    rows = list(csv.reader(io.StringIO(run(app, "funnel", "--format", "csv"))))
    assert rows[0] == ["stage", "calls", "ar", "fr"]
    assert [(row[0], int(row[1])) for row in rows[1:]] == STAGES

    text = run(app, "funnel").splitlines()
    assert text[0].startswith("Registration funnel: calls started from the first call to now (Africa/Casablanca)")
    assert text[2].split() == ["stage", "calls", "of", "calls", "ar", "fr"]
    assert text[3].split() == ["calls", "8", "100.0%", "2", "6"]
    assert text[9].split() == ["registration", "completed", "2", "25.0%", "1", "1"]
    assert ["caller_request", "1"] in [line.split() for line in text]


def test_the_dropoff_sms_and_hours_commands_give_the_same_counts_as_the_service(mix, app):
    dropoff = json.loads(run(app, "dropoff", "--format", "json"))
    assert {line.pop("state"): line for line in dropoff["states"]} == DROPOFF
    assert dropoff["totals"] == {"hung up": 2, "timed out": 1, "transferred": 3, "finished": 2}
    rows = list(csv.reader(io.StringIO(run(app, "dropoff", "--format", "csv"))))
    assert rows[0] == ["state", "hung up", "timed out", "transferred", "finished"]
    assert ["identity.ask_cin", "1", "1", "0", "0"] in rows
    assert run(app, "dropoff").splitlines()[-1 - len(REASONS) - 2].split() == ["all", "states", "2", "1", "3", "2"]

    sms = json.loads(run(app, "sms", "--format", "json"))
    assert (sms["total"], sms["outcomes"]["delivered"], sms["outcomes"]["sent"], sms["resends"]) == (2, 1, 1, 0)
    assert list(csv.reader(io.StringIO(run(app, "sms", "--format", "csv"))))[2] == ["sent", "1", "1", "0"]
    assert "resends: 0 SMS to 0 registrations" in run(app, "sms")

    hours = json.loads(run(app, "hours", "--format", "json", "--since", "2026-11-25", "--until", "2026-11-26"))
    assert hours["hours"] == [{"hour": "2026-11-25 11:00", "calls": 8, "completed": 2, "transferred": 3, "hung up": 2}]
    assert hours["period"] == {
        "since": "2026-11-25 00:00",
        "until": "2026-11-26 00:00",
        "timezone": "Africa/Casablanca",
    }
    days = list(csv.reader(io.StringIO(run(app, "hours", "--by", "day", "--format", "csv"))))
    assert days == [["day", "calls", "completed", "transferred", "hung up"], ["2026-11-25", "8", "2", "3", "2"]]


def test_a_report_refuses_a_period_it_cannot_read(app):
    result = app.test_cli_runner().invoke(args=["report", "funnel", "--since", "yesterday"])
    assert result.exit_code == 2 and "--since" in result.output and "30m, 2h, 1d" in result.output


def test_settled_calls_are_counted_from_the_rollup_exactly_as_they_were_counted_live(mix, rt, clock):
    live = (campaign.funnel(rt), campaign.dropoff(rt), campaign.hours(rt), campaign.hours(rt, by="day"))
    clock.advance(days=3)
    assert campaign.settle(rt) == datetime(2026, 11, 28, 4)  # 3 days later, less 6 hours, to the hour
    with rt.store.transaction() as db:
        assert db.scalar(select(func.count()).select_from(CallOutcome)) == 8
    assert (campaign.funnel(rt), campaign.dropoff(rt), campaign.hours(rt), campaign.hours(rt, by="day")) == live
    assert campaign.funnel(rt, Period(since=datetime(2026, 11, 25, 10))).calls == 8
    assert campaign.funnel(rt, Period(until=datetime(2026, 11, 25, 10))).calls == 0


def test_calls_after_the_settled_ones_are_counted_with_them(mix, rt, clock, phone):
    clock.advance(days=3)
    campaign.settle(rt)
    late = phone("+212600000019")
    choose(late, "fr", "1")
    late.hangup()
    found = campaign.funnel(rt)
    assert found.stages[:4] == [("calls", 9), ("language chosen", 9), ("asked to complete", 8), ("identity asked", 8)]
    assert campaign.dropoff(rt).states["identity.ask_cin"]["hung up"] == 2
