"""The demo keeps advisors open at every hour of every day, public holidays included, so that `0` always
reaches an advisor there (and an agent can take the call); a deployment keeps its hours and holidays."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from ivr import hours, settings
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Dial, parse
from ivr.speech.catalog import Catalog
from ivr.speech.opening_hours import hours_words, opening_hours
from ivr.speech.values import say_value

from .conftest import choose

RUN_DEMO = Path(__file__).resolve().parents[2] / "scripts" / "run-demo"
CASABLANCA = "Africa/Casablanca"
# Naive UTC instants; Casablanca is UTC+1 on these dates.
THRONE_DAY_23H59 = datetime(2026, 7, 30, 22, 59, 30)  # a Thursday, a public holiday: 23:59:30 local
SUNDAY_00H = datetime(2026, 11, 28, 23, 0)  # midnight local, Saturday to Sunday


def demo_settings() -> dict[str, str]:
    """Return the advisors' settings scripts/run-demo exports when the user set none."""
    script = RUN_DEMO.read_text()
    found = dict(re.findall(r'export (ADVISOR_[A-Z_]+)="\$\{ADVISOR_[A-Z_]+:-([^}"]*)\}"', script))
    assert set(found) == {"ADVISOR_HOURS", "ADVISOR_PUBLIC_HOLIDAYS"}, found
    return found


def ask_for_an_advisor(app):
    caller = SimulatedCaller.in_process(app, from_number="+212600111222")
    choose(caller, "fr")
    return caller.press("0")


def dials(turn) -> list[Dial]:
    assert turn.status == 200
    return [verb for verb in parse(turn.xml) if isinstance(verb, Dial)]


@pytest.mark.parametrize("moment", [THRONE_DAY_23H59, SUNDAY_00H])
def test_in_the_demo_zero_is_dialled_at_any_hour_even_on_a_public_holiday(app_with, clock, moment):
    app = app_with(**demo_settings())
    clock.now = moment
    assert len(dials(ask_for_an_advisor(app))) == 1


def test_a_deployment_without_the_demos_settings_still_closes_on_public_holidays(app_with, clock):
    app = app_with(ADVISOR_HOURS=demo_settings()["ADVISOR_HOURS"])
    clock.now = THRONE_DAY_23H59
    assert dials(ask_for_an_advisor(app)) == []


def test_hours_to_24_00_cover_the_last_minute_and_are_said_from_midnight_to_midnight():
    found = opening_hours({**settings.DEFAULTS, **demo_settings()})
    assert found.is_open(THRONE_DAY_23H59) and found.public_holidays is None
    said = say_value(Catalog.load(), "fr", hours_words(found)["hours"])
    assert "de minuit à minuit" in said


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"ADVISOR_HOURS": "mon-fri 24:00-24:00"}, "not a time of day"),
        ({"ADVISOR_HOURS": "mon-fri 08:00-24:30"}, "not a range|not a time of day"),
        ({"ADVISOR_PUBLIC_HOLIDAYS": "atlantis"}, "ADVISOR_PUBLIC_HOLIDAYS must be a country code"),
    ],
)
def test_a_malformed_closing_time_or_holidays_country_stops_the_server_at_start(overrides, message):
    with pytest.raises(ValueError, match=message):
        settings.check({**settings.from_environment({}), **overrides})


def test_another_countrys_holidays_can_be_asked_for():
    found = hours.parse("mon-sun 08:00-18:00", CASABLANCA, "", "fr")
    assert found.is_closed_day(datetime(2026, 7, 14, 10, 0))  # France's national day
    assert not found.is_closed_day(datetime(2026, 7, 30, 10, 0))  # Morocco's Throne Day
