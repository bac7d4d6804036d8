"""What a caller hears, as testers heard it: the reprompts, the keys, the advisor, the information menu, the lists."""
import re

import pytest

from .conftest import choose


def sentence_with(text: str, words: str) -> str:
    """Return the one sentence of a prompt that contains words."""
    [found] = [s for s in re.split(r"(?<=\.)\s+", text) if words in s]
    return found


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
