"""The simulated caller tells which catalog prompt it heard from the spoken text alone."""

from datetime import date

import pytest

from ivr.simulator.recognise import FRAGMENT_PREFIXES, Recogniser
from ivr.speech.catalog import LANGUAGES, Catalog, placeholders
from ivr.speech.values import Day, DigitString, prompt_text

CATALOG = Catalog.load()
WHOLE_PROMPTS = sorted(key for key in CATALOG.texts["fr"] if not key.startswith(FRAGMENT_PREFIXES))


@pytest.fixture(scope="module")
def recogniser():
    return Recogniser(CATALOG)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", WHOLE_PROMPTS)
def test_every_prompt_is_recognised_as_itself_with_any_placeholder_values(recogniser, key, language):
    params = {name: DigitString("0145") for name in placeholders(CATALOG.texts[language][key])}
    text = prompt_text(CATALOG, language, key, params)
    heard = recogniser.say(text, CATALOG.voices[language].language)
    assert (heard.key, heard.language) == (key, language)


def test_a_prompt_is_recognised_without_its_say_language(recogniser):
    text = prompt_text(
        CATALOG, "fr", "info.dates", {"choice": "X", "due_month": "Y", "coverage_date": Day(date(2022, 3, 1))}
    )
    assert recogniser.say(text).key == "info.dates"


def test_a_text_that_is_no_prompt_is_heard_without_a_key(recogniser):
    heard = recogniser.say("Bonjour, ceci n'est pas une invite du catalogue.", "fr-FR")
    assert heard.key is None and heard.language == "fr"


def test_a_played_recording_is_named_by_the_apps_lookup_or_left_unknown():
    named = Recogniser(CATALOG, play_key=lambda url: ("menu.choose", "fr") if url.endswith("/abc.wav") else None)
    assert named.play("http://x/audio/abc.wav").key == "menu.choose"
    assert named.play("http://x/audio/other.wav").key is None
    assert Recogniser(CATALOG).play("http://x/audio/abc.wav").key is None


def test_a_named_recording_is_heard_as_its_prompt_text_so_fragments_can_be_checked():
    named = Recogniser(CATALOG, play_key=lambda url: ("completion.confirm_mobile", "fr"))
    heard = named.play("http://x/audio/abc-p250-def.wav")
    assert "tapez 1" in heard.text and "{last_four}" in heard.text
    assert heard.text == " ".join(CATALOG.texts["fr"]["completion.confirm_mobile"].split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_transcript_shows_the_credentials_sms_with_its_password_hidden(recogniser, language):
    body = CATALOG.texts[language]["sms.credentials"].format(number="123456789", password="Xy7#kQ2!pz")
    shown = recogniser.sms_shown(body)
    assert "Xy7#kQ2!pz" not in shown
    assert "123456789" in shown and "‹hidden›" in shown


def test_an_sms_that_is_no_catalog_text_is_not_shown_in_a_transcript(recogniser):
    shown = recogniser.sms_shown("Your password is Xy7#kQ2!pz")
    assert "Xy7#kQ2!pz" not in shown and "27 characters" in shown


def test_a_text_two_prompts_share_is_heard_as_either_and_an_expect_of_either_matches():
    texts = {language: dict(texts) for language, texts in CATALOG.texts.items()}
    texts["fr"]["identity.no_match"] = texts["fr"]["identity.ask_cin"]
    heard = Recogniser(Catalog(texts, CATALOG.voices)).say(texts["fr"]["identity.ask_cin"], "fr-FR")
    assert {heard.key, *heard.also} == {"identity.ask_cin", "identity.no_match"}
    assert heard.is_key("identity.no_match") and heard.is_key("identity.ask_cin")
    assert not heard.is_key("menu.choose")
    assert "identity.ask_cin" in str(heard) and "identity.no_match" in str(heard)
