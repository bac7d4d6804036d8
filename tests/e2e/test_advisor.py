"""Transfer to an advisor: <Dial> the call centre within opening hours, say the hours outside them."""

from datetime import datetime

import pytest

from ivr.callflow.actions.guidance import hours_words, opening_hours
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Dial, Hangup, parse

from .conftest import choose

DEFAULT_ADVISOR = "+212520194040"
# Naive UTC instants; Casablanca is UTC+1 in November 2026.
SUNDAY_11H = datetime(2026, 11, 29, 10, 0)
WEDNESDAY_20H = datetime(2026, 11, 25, 19, 0)
WEDNESDAY_8H30 = datetime(2026, 11, 25, 7, 30)
WEDNESDAY_16H29 = datetime(2026, 11, 25, 15, 29)
WEDNESDAY_16H30 = datetime(2026, 11, 25, 15, 30)
WEDNESDAY_8H29 = datetime(2026, 11, 25, 7, 29)
WEDNESDAY_14H = datetime(2026, 11, 25, 13, 0)
SATURDAY_10H = datetime(2026, 11, 28, 9, 0)


def ask_for_an_advisor(caller, language="fr"):
    """Dial, choose a language and press 0 on the main menu."""
    choose(caller, language)
    return caller.press("0")


def verbs(turn) -> list:
    assert turn.status == 200
    return parse(turn.xml)


def dials(turn) -> list[Dial]:
    return [v for v in verbs(turn) if isinstance(v, Dial)]


def ends_with_hangup(turn) -> bool:
    return isinstance(verbs(turn)[-1], Hangup) and turn.ended_by == "hangup"


# Within opening hours.


def test_within_opening_hours_the_caller_is_dialled_through_to_the_call_centre(app, phone, voice):
    caller = phone()
    turn = ask_for_an_advisor(caller)
    [dial] = dials(turn)
    assert dial.number == DEFAULT_ADVISOR == app.config["ADVISOR_NUMBER"]
    assert dial.action and "/voice/step?seq=" in dial.action  # the call comes back to us after the advisor
    assert voice.heard(turn, "advisor.connecting")
    assert voice.said(caller) == ["advisor.connecting"]


def test_advisor_number_is_configurable(app_with):
    app = app_with(ADVISOR_NUMBER="+212522000111")
    caller = SimulatedCaller.in_process(app, from_number="+212600111222")
    turn = ask_for_an_advisor(caller)
    [dial] = dials(turn)
    assert dial.number == "+212522000111"


def test_caller_hears_goodbye_after_the_advisor_hangs_up(phone, voice):
    caller = phone()
    ask_for_an_advisor(caller)
    turn = caller.advisor_answers(duration=120)
    assert voice.said(caller) == ["common.goodbye"] and voice.heard(turn, "common.goodbye")
    assert ends_with_hangup(turn)
    assert voice.steps(caller)[-1].detail["dial_status"] == "completed"
    assert voice.session(caller).status == "ended"


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_caller_is_told_when_no_advisor_answers_and_the_call_ends(phone, voice, status):
    caller = phone()
    ask_for_an_advisor(caller)
    turn = caller.advisor_does_not_answer(status)
    assert voice.said(caller) == ["advisor.unavailable"] and voice.heard(turn, "advisor.unavailable")
    assert ends_with_hangup(turn)
    assert voice.steps(caller)[-1].detail["dial_status"] == status


def test_unavailable_advisor_is_announced_in_arabic_to_an_arabic_caller(phone, voice):
    caller = phone()
    ask_for_an_advisor(caller, "ar")
    turn = caller.advisor_does_not_answer("busy")
    assert voice.heard(turn, "advisor.unavailable", "ar")
    assert {u.language for u in turn.heard} == {"arb"}


def test_the_transfer_reason_and_state_are_recorded_for_the_agent(phone, voice):
    caller = phone()
    ask_for_an_advisor(caller)
    session = voice.session(caller)
    assert (session.transfer_reason, session.transfer_state) == ("caller_request", "menu.choose")


# Outside opening hours.


@pytest.mark.parametrize(
    "moment",
    [SUNDAY_11H, WEDNESDAY_20H, WEDNESDAY_16H30, WEDNESDAY_8H29],
    ids=["sunday", "evening", "at_closing_time", "just_before_opening"],
)
def test_outside_opening_hours_the_caller_hears_the_hours_and_nobody_is_dialled(phone, voice, clock, moment):
    clock.now = moment
    caller = phone()
    turn = ask_for_an_advisor(caller)
    assert dials(turn) == [] and turn.dial is None
    assert voice.said(caller) == ["advisor.closed"]
    assert "du lundi au vendredi, de 8 heures 30 à 16 heures 30" in turn.heard_text()
    assert ends_with_hangup(turn)
    assert voice.session(caller).transfer_reason == "caller_request"  # still recorded for the call centre


@pytest.mark.parametrize("moment", [WEDNESDAY_8H30, WEDNESDAY_16H29], ids=["at_opening", "last_minute"])
def test_opening_hours_include_their_first_and_last_minute(phone, clock, moment):
    clock.now = moment
    caller = phone()
    assert len(dials(ask_for_an_advisor(caller))) == 1


def test_closed_hours_are_said_in_arabic_to_an_arabic_caller(phone, voice, clock, app):
    clock.now = SUNDAY_11H
    caller = phone()
    turn = ask_for_an_advisor(caller, "ar")
    words = hours_words(opening_hours(app.config))
    assert voice.heard(turn, "advisor.closed", "ar", **words)
    assert dials(turn) == []


def test_closed_hours_before_a_language_is_chosen_are_said_in_both_languages(phone, voice, clock, app):
    clock.now = WEDNESDAY_20H
    caller = phone()
    caller.dial()
    turn = caller.press("0")
    words = hours_words(opening_hours(app.config))
    assert voice.heard(turn, "advisor.closed", "ar", **words) and voice.heard(turn, "advisor.closed", "fr", **words)
    assert dials(turn) == [] and ends_with_hangup(turn)


def test_misses_outside_opening_hours_end_with_the_hours_not_a_dial(phone, voice, clock):
    clock.now = SUNDAY_11H
    caller = phone()
    choose(caller, "fr")
    caller.wait()
    caller.wait()
    turn = caller.wait()
    assert voice.said(caller) == ["advisor.closed"] and dials(turn) == [] and ends_with_hangup(turn)


# Configurable opening hours.


def test_advisor_hours_are_configurable(app_with, clock, voice):
    app = app_with(ADVISOR_HOURS="mon-sat 09:00-13:00")

    def ask_at(moment):
        clock.now = moment
        caller = SimulatedCaller.in_process(app, from_number="+212600111222")
        return ask_for_an_advisor(caller)

    assert len(dials(ask_at(SATURDAY_10H))) == 1
    turn = ask_at(WEDNESDAY_14H)
    assert dials(turn) == []
    assert "du lundi au samedi, de 9 heures à 13 heures" in turn.heard_text()
    assert dials(ask_at(WEDNESDAY_8H30)) == []  # before 09:00
    assert dials(ask_at(SUNDAY_11H)) == []
