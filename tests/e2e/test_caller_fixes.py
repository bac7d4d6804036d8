"""What a caller hears, as testers heard it: the reprompts, the keys, the advisor, the information menu, the lists."""

import re
from datetime import datetime

import pytest
from flask import Flask, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.export import export_call
from ivr.simulator.twiml_reader import Hangup, parse
from tests.conftest import Person

from .conftest import choose, identify

WRONG_BIRTH = "01011980"  # a real date that is nobody's birth date among the test people
UNKNOWN = Person("918273", "14031975", "medecin", None)  # CIN digits that are on no list
CALL_CENTRE = "05 20 19 40 40"
SUNDAY_11H = datetime(2026, 11, 29, 10, 0)  # naive UTC; Casablanca is UTC+1 in November 2026


def sentence_with(text: str, words: str) -> str:
    """Return the one sentence of a prompt that contains words."""
    [found] = [s for s in re.split(r"(?<=\.)\s+", text) if words in s]
    return found


def ends_with_hangup(turn) -> bool:
    return isinstance(parse(turn.xml)[-1], Hangup) and turn.ended_by == "hangup"


# 9. An invalid key is answered with the help of the question actually asked.


def at_info_dates(phone, language="fr"):
    caller = phone()
    choose(caller, language, "2")
    return caller, caller.press("3")


def test_invalid_key_after_the_dates_repeats_the_after_dates_choices(phone, voice):
    caller, _ = at_info_dates(phone)
    turn = caller.press("5")
    assert voice.said(caller) == ["info.dates_invalid"] and voice.heard(turn, "info.dates_invalid")
    text = turn.heard_text()
    assert "n'est pas valide" in text
    assert "autre catégorie, tapez 1" in text and "menu principal, tapez 9" in text
    assert "tapez 2" not in text and "tapez 3" not in text and "tapez 4" not in text
    assert turn.gather is not None


def test_every_key_the_reprompt_after_the_dates_offers_is_a_key_of_that_question(phone, voice):
    caller, _ = at_info_dates(phone)
    offered = set(re.findall(r"tapez (\d)", caller.press("5").heard_text()))
    assert offered == {"1", "9"}
    for key in sorted(offered):  # a caller who follows what they were just told
        caller, _ = at_info_dates(phone)
        caller.press("5")
        turn = caller.press(key)
        assert "miss" not in voice.steps(caller)[-1].detail and turn.gather is not None and not caller.ended
    assert voice.said(caller) == ["menu.choose"]


def test_invalid_key_after_the_dates_is_answered_in_arabic_with_the_after_dates_choices(phone, voice):
    caller, _ = at_info_dates(phone, "ar")
    turn = caller.press("5")
    assert voice.said(caller) == ["info.dates_invalid"] and voice.heard(turn, "info.dates_invalid", "ar")


def test_invalid_key_when_already_registered_says_the_choice_is_not_valid(phone, people, voice):
    first = phone("+212600000301")
    choose(first, "fr", "1")
    identify(first, people["amina"])
    first.press("1")
    first.press("1")
    first.hangup()
    caller = phone("+212600000302")
    choose(caller, "fr", "1")
    identify(caller, people["amina"])
    assert voice.said(caller) == ["completion.already_complete"]
    turn = caller.press("5")
    assert voice.said(caller) == ["completion.already_complete_invalid"]
    assert "n'est pas valide" in turn.heard_text() and "pas entendu" not in turn.heard_text()
    assert turn.gather is not None


# 10. DialCallStatus=answered is an advisor who answered.


@pytest.mark.parametrize("status", ["answered", "completed"])
def test_answered_dial_status_does_not_say_advisors_are_unavailable(phone, voice, status):
    caller = phone()
    choose(caller, "fr")
    caller.press("0")
    turn = caller.advisor_answers(duration=90, status=status)
    assert voice.said(caller) == ["common.goodbye"] and voice.heard(turn, "common.goodbye")
    assert not voice.heard(turn, "advisor.unavailable")
    assert ends_with_hangup(turn)
    assert voice.steps(caller)[-1].detail["dial_status"] == status
    assert voice.session(caller).state == "after_advisor"


@pytest.mark.parametrize("status", ["answered", "completed"])
def test_an_exported_call_plays_an_answered_dial_as_an_advisor_who_answers(phone, rt, status):
    caller = phone()
    choose(caller, "fr")
    caller.press("0")
    caller.advisor_answers(duration=90, status=status)
    assert "- advisor: answers" in export_call(rt, caller.call_sid)


# 11. # at a menu is a key: an invalid one there.


def test_hash_alone_at_a_menu_is_an_invalid_key(phone, voice):
    caller = phone()
    asked = choose(caller, "fr")
    assert asked.gather.num_digits == 1 and asked.gather.finish_on_key == ""
    turn = caller.press("#")
    assert voice.said(caller) == ["menu.invalid"] and voice.heard(turn, "menu.invalid")
    assert "pas entendu" not in turn.heard_text()
    assert voice.steps(caller)[-1].detail["miss"] == "invalid"
    assert voice.session(caller).misses == 1


def test_hash_alone_on_the_language_menu_is_an_invalid_key(phone, voice):
    caller = phone()
    caller.dial()
    turn = caller.press("#")
    assert voice.said(caller) == ["language.invalid"] and turn.gather is not None


def test_hash_after_the_credentials_is_answered_with_their_help_not_goodbye(phone, people, voice):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["amina"])
    caller.press("1")
    caller.press("1")
    assert voice.said(caller)[-1] == "credentials.sent"
    turn = caller.press("#")
    assert voice.said(caller) == ["credentials.sent_help"] and turn.gather is not None and not caller.ended


def test_hash_after_the_dates_is_answered_with_the_after_dates_choices(phone, voice):
    caller, _ = at_info_dates(phone)
    turn = caller.press("#")
    assert voice.said(caller) == ["info.dates_invalid"] and turn.gather is not None


def test_hash_still_ends_an_entry(phone, people, voice):
    caller = phone()
    asked = choose(caller, "fr", "1")
    assert asked.gather.finish_on_key == "#" and asked.gather.num_digits is None
    caller.press(people["amina"].cin_digits + "#")
    assert voice.said(caller) == ["identity.ask_birth_date"]
    turn = caller.press("#")  # an empty entry is still nothing typed
    assert voice.said(caller) == ["identity.ask_birth_date_short"] and turn.gather is not None


def hash_echo_app() -> Flask:
    """A voice app with one menu of one key and no finish key, that says which keys it got."""
    app = Flask(__name__)
    app.config.update(TWILIO_AUTH_TOKEN="test-auth-token", FORMS=[])

    @app.post("/voice/incoming")
    def incoming():
        response = VoiceResponse()
        gather = Gather(action="/menu", num_digits=1, finish_on_key="", action_on_empty_result=True)
        gather.say("Tapez une touche.")
        response.append(gather)
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/menu")
    def menu():
        app.config["FORMS"].append(request.form.to_dict())
        response = VoiceResponse()
        response.hangup()
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/voice/status")
    def status():
        return "", 204

    return app


def test_the_simulated_caller_sends_hash_as_a_key_when_the_gather_has_no_finish_key():
    app = hash_echo_app()
    caller = SimulatedCaller.in_process(app, base_url="http://localhost", auth_token="test-auth-token")
    caller.dial()
    caller.press("#")
    [form] = app.config["FORMS"]
    assert form["Digits"] == "#" and "FinishedOnKey" not in form


# 13. The information menu names notaries, and tells CPU merchants and craftsmen their key.


@pytest.mark.parametrize("prompt", ["info.choose", "info.choose_help", "info.no_input", "info.invalid"])
def test_information_menu_names_notaries(voice, prompt):
    assert "tapez 3" in sentence_with(voice.text(prompt, "fr"), "notaires")
    assert "الرقم 3" in sentence_with(voice.text(prompt, "ar"), "الموثق")


@pytest.mark.parametrize("prompt", ["info.choose", "info.choose_help", "info.no_input", "info.invalid"])
def test_information_menu_tells_merchants_and_craftsmen_without_accounts_their_key(voice, prompt):
    assert "tapez 1" in sentence_with(voice.text(prompt, "fr"), "sans comptabilité")
    assert "tapez 2" in sentence_with(voice.text(prompt, "fr"), "tenant une comptabilité")
    assert "الرقم 1" in sentence_with(voice.text(prompt, "ar"), "لا يمسكون محاسبة")
    assert "الرقم 2" in sentence_with(voice.text(prompt, "ar"), "الذين يمسكون محاسبة")


def test_the_information_menu_a_caller_hears_names_notaries(phone, voice):
    caller = phone()
    turn = choose(caller, "fr", "2")
    assert voice.said(caller) == ["info.choose"]
    assert "notaires" in turn.heard_text() and "sans comptabilité" in turn.heard_text()


# 14. A caller not on the lists is told, after a second mismatch, where the lists come from.


def test_second_mismatch_says_where_the_lists_come_from(people, phone, voice):
    amina = people["amina"]
    unknown = phone("+212600000311")
    choose(unknown, "fr", "1")
    first_unknown = identify(unknown, UNKNOWN)
    assert voice.said(unknown) == ["identity.no_match", "identity.ask_cin"]
    assert not voice.heard(first_unknown, "identity.where_lists_come_from")
    second_unknown = identify(unknown, UNKNOWN)
    known = phone("+212600000312")
    choose(known, "fr", "1")
    identify(known, amina, WRONG_BIRTH)
    second_wrong_date = identify(known, amina, "02021980")

    for caller, turn in ((unknown, second_unknown), (known, second_wrong_date)):
        assert voice.said(caller) == ["identity.no_match", "identity.where_lists_come_from", "identity.ask_cin"]
        assert voice.heard(turn, "identity.where_lists_come_from") and turn.gather is not None
        text = voice.text("identity.where_lists_come_from")
        assert "organisme de liaison" in text and "ma cnss point ma" in text and "agence" in text
        assert CALL_CENTRE in text
        assert voice.session(caller).failed_checks == 2
    assert second_unknown.xml == second_wrong_date.xml  # nothing tells an unknown CIN from a wrong date


def test_the_third_mismatch_after_the_guidance_still_transfers(people, phone, voice):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, UNKNOWN)
    identify(caller, UNKNOWN)
    turn = identify(caller, people["amina"], WRONG_BIRTH)
    assert voice.said(caller) == ["advisor.connecting"] and turn.dial is not None
    assert voice.session(caller).transfer_reason == "identity_failed"


def test_second_mismatch_guidance_is_said_in_arabic_to_an_arabic_caller(people, phone, voice):
    caller = phone()
    choose(caller, "ar", "1")
    identify(caller, UNKNOWN)
    turn = identify(caller, UNKNOWN)
    assert voice.heard(turn, "identity.where_lists_come_from", "ar")
    assert not re.search(r"[A-Za-z]", voice.text("identity.where_lists_come_from", "ar"))


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_unavailable_advisors_give_the_call_centres_number(phone, voice, language):
    caller = phone()
    choose(caller, language)
    caller.press("0")
    turn = caller.advisor_does_not_answer("busy")
    assert voice.said(caller) == ["advisor.unavailable"]
    assert CALL_CENTRE in turn.heard_text()


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_closed_advisors_give_the_call_centres_number(phone, voice, clock, language):
    clock.now = SUNDAY_11H
    caller = phone()
    choose(caller, language)
    turn = caller.press("0")
    assert voice.said(caller) == ["advisor.closed"]
    assert CALL_CENTRE in turn.heard_text()
