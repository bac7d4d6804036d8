"""What a caller hears, as testers heard it: the reprompts, the keys, the advisor, the information menu, the lists."""
import re

import pytest

from .conftest import choose, identify


def sentence_with(text: str, words: str) -> str:
    """Return the one sentence of a prompt that contains words."""
    [found] = [s for s in re.split(r"(?<=\.)\s+", text) if words in s]
    return found


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
