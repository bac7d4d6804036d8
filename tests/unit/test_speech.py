import shutil
from datetime import date

import pytest

from ivr.speech.catalog import PROMPTS_DIR, Catalog
from ivr.speech.say_text import spoken_date, spoken_digits, spoken_month

MOROCCAN_MONTHS = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ماي",
    "يونيو",
    "يوليوز",
    "غشت",
    "شتنبر",
    "أكتوبر",
    "نونبر",
    "دجنبر",
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """Load only the spoken words (and the voices), so other prompt files cannot interfere."""
    directory = tmp_path_factory.mktemp("prompts")
    for language in ("fr", "ar"):
        (directory / language).mkdir()
        for name in ("_voice.yaml", "spoken.yaml"):
            shutil.copy(PROMPTS_DIR / language / name, directory / language / name)
    return Catalog.load(directory)


def test_french_digits_are_spoken_one_by_one_with_pauses(catalog):
    assert spoken_digits(catalog, "fr", "123") == "un, deux, trois"


def test_arabic_digits_are_spoken_one_by_one_with_pauses(catalog):
    assert spoken_digits(catalog, "ar", "4578") == "أربعة، خمسة، سبعة، ثمانية"


def test_a_registration_number_is_spoken_as_nine_words_including_zeros(catalog):
    words = spoken_digits(catalog, "fr", "100200300").split(", ")
    assert words == ["un", "zéro", "zéro", "deux", "zéro", "zéro", "trois", "zéro", "zéro"]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_digit_has_its_own_word(catalog, language):
    words = spoken_digits(catalog, language, "0123456789").split(catalog.text(language, "digit_separator"))
    assert len(set(words)) == 10 and not any(char.isdigit() for word in words for char in word)


@pytest.mark.parametrize("bad", ["", "12a", "12 34", "١٢"])
def test_anything_but_ascii_digits_is_refused(catalog, bad):
    with pytest.raises(ValueError, match="non-empty string of ASCII digits"):
        spoken_digits(catalog, "fr", bad)


def test_the_first_of_the_month_is_said_premier_in_french(catalog):
    assert spoken_date(catalog, "fr", date(2022, 2, 1)) == "1er février 2022"


def test_other_days_are_said_as_numbers_in_french(catalog):
    assert spoken_date(catalog, "fr", date(2022, 3, 3)) == "3 mars 2022"


def test_the_first_of_the_month_is_said_fatih_in_arabic(catalog):
    assert spoken_date(catalog, "ar", date(2022, 2, 1)) == "فاتح فبراير ألفين واثنين وعشرين"


def test_other_days_are_said_as_ordinals_in_arabic_words(catalog):
    assert spoken_date(catalog, "ar", date(2022, 8, 15)) == "الخامس عشر من غشت ألفين واثنين وعشرين"


def test_a_month_is_said_with_its_year(catalog):
    assert spoken_month(catalog, "fr", date(2021, 12, 1)) == "décembre 2021"
    assert spoken_month(catalog, "ar", date(2021, 12, 1)) == "دجنبر ألفين وواحد وعشرين"


@pytest.mark.parametrize("month", range(1, 13))
def test_arabic_months_have_their_moroccan_names(catalog, month):
    assert spoken_month(catalog, "ar", date(2022, month, 1)) == f"{MOROCCAN_MONTHS[month - 1]} ألفين واثنين وعشرين"


def test_french_months_are_the_twelve_names_in_order(catalog):
    names = [spoken_month(catalog, "fr", date(2022, month, 1)).split()[0] for month in range(1, 13)]
    assert names[0] == "janvier" and names[7] == "août" and names[11] == "décembre" and len(set(names)) == 12


def test_the_spoken_words_exist_in_the_full_prompt_catalog():
    catalog = Catalog.load()
    assert all(catalog.has(key) for key in ("digit.0", "month.12", "date.day_month_year", "month_year"))
