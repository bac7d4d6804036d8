"""The agents' console's catalogs: every message the console can show is translated in French and Arabic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from ivr.web import console_locale

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "ivr" / "web" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def messages_in_the_code() -> set[str]:
    """Extract the messages as babel.cfg says (python with _ and _l, the console's templates)."""
    method_map = [("ivr/web/**.py", "python"), ("ivr/web/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    return {
        message[2]
        for message in extract_from_dir(str(ROOT), method_map, keywords=keywords)
        if isinstance(message[2], str)
    }


@pytest.mark.parametrize("language", console_locale.LANGUAGES)
def test_every_message_of_the_console_has_a_translation(language):
    found = {message.id: message for message in catalog(language) if message.id}
    in_the_code = messages_in_the_code()
    assert in_the_code, "no message was extracted: is babel.cfg's layout still the tree's?"
    assert sorted(in_the_code - set(found)) == [], f"messages missing from the {language} catalog"
    untranslated = [message_id for message_id, message in found.items() if not message.string or message.fuzzy]
    assert untranslated == [], f"untranslated or fuzzy messages in {language}"


@pytest.mark.parametrize("language", console_locale.LANGUAGES)
def test_each_translation_keeps_the_placeholders_of_its_message(language):
    for message in catalog(language):
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id


@pytest.mark.parametrize("language", console_locale.LANGUAGES)
def test_the_catalogs_carry_no_message_the_console_no_longer_shows(language):
    stale = {message.id for message in catalog(language) if message.id} - messages_in_the_code()
    assert sorted(stale) == []


def test_the_catalogs_compile_and_are_read_back_translated(tmp_path):
    for language in console_locale.LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes((TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").read_bytes())
    assert len(console_locale.compile_catalogs(tmp_path)) == 2
    assert console_locale.compile_catalogs(tmp_path) == []  # up to date: not made again
    french = Translations.load(str(tmp_path), ["fr_MA"])
    arabic = Translations.load(str(tmp_path), ["ar_MA"])
    assert french.gettext("Sign in") == "Se connecter"
    assert arabic.gettext("Sign in") == "تسجيل الدخول"
