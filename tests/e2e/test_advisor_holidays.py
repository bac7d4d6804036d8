"""Opening hours with several ranges, Morocco's public holidays and an operator's closed dates, heard in a call."""

from datetime import datetime

from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Dial, parse

from .conftest import choose

# Naive UTC instants; Casablanca is UTC+1 on these dates.
THRONE_DAY_10H = datetime(2026, 7, 30, 9, 0)  # a Thursday, a public holiday
NEW_YEARS_EVE_10H = datetime(2026, 12, 31, 9, 0)  # a Thursday
SATURDAY_10H = datetime(2026, 11, 28, 9, 0)


def ask_for_an_advisor(app, language="fr"):
    """Call, choose a language and press 0 on the main menu; return the caller and the answer."""
    caller = SimulatedCaller.in_process(app, from_number="+212600111222")
    choose(caller, language)
    return caller, caller.press("0")


def dials(turn) -> list[Dial]:
    assert turn.status == 200
    return [verb for verb in parse(turn.xml) if isinstance(verb, Dial)]


def test_zero_on_throne_day_hears_that_today_is_a_holiday_and_is_not_dialled(app, clock, voice):
    clock.now = THRONE_DAY_10H
    caller, turn = ask_for_an_advisor(app)
    assert dials(turn) == []
    assert voice.said(caller) == ["advisor.closed"]
    heard = turn.heard_text()
    assert "Aujourd'hui est un jour férié." in heard
    assert "du lundi au vendredi, de 8 heures 30 à 16 heures 30" in heard


def test_zero_on_a_holiday_in_arabic_hears_it_in_arabic(app, clock, voice):
    clock.now = THRONE_DAY_10H
    _caller, turn = ask_for_an_advisor(app, "ar")
    assert dials(turn) == []
    assert "اليوم يوم عطلة رسمية." in turn.heard_text()
    assert "من الثامنة والنصف صباحا إلى الرابعة والنصف مساء" in turn.heard_text()


def test_zero_on_a_date_the_operator_closed_is_not_dialled(app_with, clock, voice):
    app = app_with(ADVISOR_CLOSED_DATES="2026-12-31")
    clock.now = NEW_YEARS_EVE_10H
    caller, turn = ask_for_an_advisor(app)
    assert dials(turn) == [] and voice.said(caller) == ["advisor.closed"]
    assert "Le service des conseillers est fermé aujourd'hui." in turn.heard_text()


def test_zero_on_saturday_morning_is_dialled_when_saturday_is_a_range(app_with, clock):
    app = app_with(ADVISOR_HOURS="mon-fri 08:30-16:30; sat 09:00-12:00")
    clock.now = SATURDAY_10H
    _, turn = ask_for_an_advisor(app)
    assert len(dials(turn)) == 1


def test_the_closed_message_says_every_range(app_with, clock):
    app = app_with(ADVISOR_HOURS="mon-fri 08:30-16:30; sat 09:00-12:00")
    clock.now = datetime(2026, 11, 28, 12, 0)  # Saturday 13:00 in Casablanca
    _, turn = ask_for_an_advisor(app)
    assert dials(turn) == []
    assert (
        "Vous appelez en dehors de nos horaires. Nos conseillers vous répondent du lundi au vendredi, "
        "de 8 heures 30 à 16 heures 30, et le samedi, de 9 heures à midi."
    ) in turn.heard_text()
