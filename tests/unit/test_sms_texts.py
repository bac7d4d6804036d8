import re

import pytest

from ivr.registration.credentials import ALPHABET, generate_password, hash_password, password_matches
from ivr.sensitive import Sensitive
from ivr.sms.encoding import GSM7_BASIC
from ivr.sms.outbox import CREDENTIALS_PROMPT, sms_segments
from ivr.speech.catalog import Catalog

LONGEST_NUMBER = "999999999"
LONGEST_PASSWORD = "WWWWWWWWW9"


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def credentials_text(catalog, language):
    return catalog.text(language, CREDENTIALS_PROMPT, number=LONGEST_NUMBER, password=LONGEST_PASSWORD)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("é à è ù ì ò Ç Ø å Ä ß ¿ ¡ £ $ @", ("GSM-7", 1)),
        ("", ("GSM-7", 1)),
    ],
)
def test_gsm7_bodies_take_160_septets_alone_and_153_per_part(body, expected):
    assert sms_segments(body) == expected


def test_extension_characters_take_two_septets():
    assert sms_segments("€" * 80) == ("GSM-7", 1)
    assert sms_segments("€" * 81) == ("GSM-7", 2)
    assert sms_segments("[]{}^~|\\" * 10) == ("GSM-7", 1)
    assert sms_segments("[]{}^~|\\" * 10 + "a") == ("GSM-7", 2)


def test_an_extension_character_is_never_split_between_two_parts():
    assert sms_segments("a" * 152 + "€" + "a" * 10) == ("GSM-7", 2)
    assert sms_segments("a" * 152 + "€" * 76 + "aa") == ("GSM-7", 3)  # 306 septets


@pytest.mark.parametrize(
    "body, expected",
    [
        ("ê", ("UCS-2", 1)),
        ("ب" * 70, ("UCS-2", 1)),
        ("ب" * 71, ("UCS-2", 2)),
        ("ب" * 134, ("UCS-2", 2)),
        ("ب" * 135, ("UCS-2", 3)),
        ("😀" * 35, ("UCS-2", 1)),
        ("😀" * 36, ("UCS-2", 2)),
    ],
)
def test_other_bodies_are_ucs2_with_70_units_alone_and_67_per_part(body, expected):
    assert sms_segments(body) == expected


def test_the_french_credentials_sms_is_one_gsm7_segment_with_the_longest_values(catalog):
    text = credentials_text(catalog, "fr")
    assert sms_segments(text) == ("GSM-7", 1)
    assert len(text) <= 160


def test_the_french_credentials_sms_says_number_password_and_site(catalog):
    text = catalog.text("fr", CREDENTIALS_PROMPT, number="123456789", password="ab3DEfgh7K")
    assert re.search(r"Immatriculation: 123456789\b", text)
    assert "Mot de passe: ab3DEfgh7K" in text
    assert "macnss.ma" in text


def test_the_arabic_credentials_sms_takes_at_most_three_ucs2_segments(catalog):
    encoding, parts = sms_segments(credentials_text(catalog, "ar"))
    assert encoding == "UCS-2"
    assert parts <= 3


def test_the_arabic_credentials_sms_carries_the_same_facts(catalog):
    text = catalog.text("ar", CREDENTIALS_PROMPT, number="123456789", password="ab3DEfgh7K")
    assert "123456789" in text
    assert "ab3DEfgh7K" in text
    assert "www.macnss.ma" in text


def test_passwords_are_10_unambiguous_gsm7_characters_with_digit_upper_and_lower():
    for _ in range(300):
        password = generate_password()
        clear = password.reveal()
        assert isinstance(password, Sensitive)
        assert len(clear) == 10
        assert set(clear) <= set(ALPHABET)
        assert not set(clear) & set("0Oo1lI")
        assert set(clear) <= GSM7_BASIC
        assert any(c.isdigit() for c in clear)
        assert any(c.isupper() for c in clear)
        assert any(c.islower() for c in clear)


def test_two_passwords_differ():
    assert len({generate_password().reveal() for _ in range(50)}) == 50


def test_a_password_never_shows_in_its_repr():
    password = generate_password()
    assert password.reveal() not in repr(password)
    assert password.reveal() not in f"{password}"


def test_only_the_right_password_matches_its_hash():
    password = generate_password()
    stored = hash_password(password)
    assert password.reveal() not in stored
    assert password_matches(stored, password.reveal())
    assert password_matches(stored, password)
    assert not password_matches(stored, password.reveal()[::-1])
