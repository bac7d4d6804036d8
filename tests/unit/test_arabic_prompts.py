"""An Arabic caller hears Arabic only: no Latin letters, no number a voice would read as bare digits."""

import re
import string
from datetime import date, datetime

import pytest

from ivr import hours
from ivr.callflow.actions.guidance import hours_words
from ivr.registration.categories import load_categories
from ivr.sms.outbox import CREDENTIALS_PROMPT
from ivr.speech.catalog import Catalog, placeholders
from ivr.speech.values import ClockTime, Day, DigitString, Localized, Month, prompt_text, say_value

CATALOG = Catalog.load()
FRAGMENT_TEMPLATES = ("date.", "month_year", "time.", "hours.days", "hours.one_day", "hours.range")  # said in values
SAID_KEYS = sorted(
    key
    for key in CATALOG.texts["ar"]
    if not key.startswith(("sms.", *FRAGMENT_TEMPLATES)) or not placeholders(CATALOG.texts["ar"][key])
)
LATIN = re.compile(r"[A-Za-z]")
# A phone number in pairs, as Moroccans say it ("05 20 19 40 40"): the voice reads each pair in Arabic.
PHONE_IN_PAIRS = re.compile(r"\b0\d(?: \d\d){4}\b")
NUMBER_IN_DIGITS = re.compile(r"\d\d")  # single digits (a key, digits typed one by one) are what is meant
SITE_IN_THE_SMS = "www.macnss.ma"  # written, to be typed: it stays in Latin letters
HOURS_SETTINGS = [
    "mon-fri 08:30-16:30",
    "mon-fri 08:30-16:30; sat 09:00-12:00",
    "mon-thu 08:00-12:15; mon-thu 13:45-17:00; fri 08:30-11:30",
    "sun 00:00-23:59",
    "sat 08:05-12:20",
]
MOMENTS = [datetime(2026, 11, 25, 19, 0), datetime(2026, 7, 30, 9, 0), datetime(2026, 12, 31, 9, 0)]


def representative_values() -> dict[str, list[object]]:
    """Return, per placeholder, the values a call may give it: every category, its dates, every schedule."""
    table = load_categories()
    groups = [*table.categories.values(), *table.info_choices]
    days = [Day(group.coverage_starts) for group in groups] + [Day(date(2026, day, day)) for day in range(1, 13)]
    schedules = [
        hours_words(hours.parse(text, "Africa/Casablanca", "2026-12-31"), moment)
        for text in HOURS_SETTINGS
        for moment in MOMENTS
    ]
    return {
        "number": [DigitString("100200399")],
        "last_four": [DigitString("4578")],
        "category": [Localized.of(group.label) for group in groups],
        "choice": [Localized.of(g.label) for g in groups],
        "due_month": [Month(group.contributions_due) for group in groups] + [Month(date(2031, 12, 1))],
        "coverage_date": days,
        "today": [words["today"] for words in schedules],
        "hours": [words["hours"] for words in schedules],
    }


def renderings(key: str) -> list[str]:
    """Return a prompt's Arabic text with each representative value of each of its placeholders."""
    names = placeholders(CATALOG.texts["ar"][key])
    if not names:
        return [CATALOG.text("ar", key)]
    values = representative_values()
    unknown = names - set(values)
    assert not unknown, f"{key}: give this test representative values for {sorted(unknown)}"
    count = max(len(values[name]) for name in names)
    return [
        prompt_text(CATALOG, "ar", key, {name: values[name][i % len(values[name])] for name in names})
        for i in range(count)
    ]


def not_arabic(text: str) -> list[str]:
    """Return what an Arabic voice would say in another language, or read as a bare number."""
    without_phones = PHONE_IN_PAIRS.sub("", text)
    return LATIN.findall(text) + NUMBER_IN_DIGITS.findall(without_phones)


@pytest.mark.parametrize("key", SAID_KEYS)
def test_every_arabic_prompt_is_said_in_arabic_words_with_any_value(key):
    for text in renderings(key):
        assert not_arabic(text) == [], f"{key}: {text}"


def test_the_arabic_sms_is_arabic_but_for_the_site_to_type_and_the_values():
    template = CATALOG.texts["ar"][CREDENTIALS_PROMPT]
    literal = "".join(part for part, _, _, _ in string.Formatter().parse(template))
    assert SITE_IN_THE_SMS in literal
    assert LATIN.findall(literal.replace(SITE_IN_THE_SMS, "")) == []


@pytest.mark.parametrize("key", [CREDENTIALS_PROMPT, "language.welcome", "completion.completed"])
def test_the_insurance_is_named_in_full_in_the_sms_as_in_the_voice(key):
    assert "التأمين الإجباري الأساسي عن المرض" in CATALOG.texts["ar"][key]


def test_the_site_and_the_card_letters_are_said_in_arabic_script():
    assert "ما سي إن إس إس نقطة ما" in CATALOG.texts["ar"]["credentials.sent"]
    assert "بي إي 1 2 3 4 5 6" in CATALOG.texts["ar"]["identity.ask_cin_help"]


def test_the_lockout_lasts_twenty_four_hours_in_words():
    assert "لمدة أربع وعشرين ساعة" in CATALOG.texts["ar"]["identity.locked_out"]


@pytest.mark.parametrize("hour", range(24))
def test_every_time_is_arabic_words_with_its_part_of_the_day(hour):
    for minute in range(60):
        said = say_value(CATALOG, "ar", ClockTime(hour, minute))
        assert not_arabic(said) == [] and said.split()[-1] in ("صباحا", "ظهرا", "مساء"), said


def test_a_date_is_said_with_an_ordinal_day_and_the_year_in_words():
    assert say_value(CATALOG, "ar", Day(date(1980, 3, 5))) == "الخامس من مارس ألف وتسعمائة وثمانين"
    assert say_value(CATALOG, "ar", Day(date(2022, 2, 1))) == "فاتح فبراير ألفين واثنين وعشرين"
    assert say_value(CATALOG, "ar", Month(date(2021, 12, 1))) == "دجنبر ألفين وواحد وعشرين"


def test_the_arabic_schedule_says_each_range_with_the_part_of_the_day():
    words = hours_words(hours.parse("mon-fri 08:30-16:30; sat 09:00-12:00", "Africa/Casablanca"))
    assert say_value(CATALOG, "ar", words["hours"]) == (
        "من الاثنين إلى الجمعة، من الثامنة والنصف صباحا إلى الرابعة والنصف مساء، "
        "ويوم السبت، من التاسعة صباحا إلى الثانية عشرة ظهرا"
    )
    assert say_value(CATALOG, "fr", words["hours"]) == (
        "du lundi au vendredi, de 8 heures 30 à 16 heures 30, et le samedi, de 9 heures à midi"
    )


@pytest.mark.parametrize("language, assumes_a_man", [("fr", "êtes né"), ("ar", "مزداد")])
def test_the_birth_date_example_assumes_no_gender(language, assumes_a_man):
    assert assumes_a_man not in CATALOG.texts[language]["identity.ask_birth_date_help"]


def test_a_cin_of_the_wrong_length_is_not_valid_rather_than_incomplete():
    assert "n'est pas valide" in CATALOG.texts["fr"]["identity.cin_invalid"]
    assert "incomplet" not in CATALOG.texts["fr"]["identity.cin_invalid"]
    assert "غير مكتمل" not in CATALOG.texts["ar"]["identity.cin_invalid"]


@pytest.mark.parametrize("year", [1999, 2000, 2021, 2030, 2099])
def test_every_day_of_a_year_is_said_without_digits(year):
    for day in (date(year, month, d) for month in range(1, 13) for d in range(1, 29)):
        assert not_arabic(say_value(CATALOG, "ar", Day(day))) == []
    assert not_arabic(say_value(CATALOG, "ar", Day(date(year, 12, 31)))) == []
    assert say_value(CATALOG, "ar", Day(date(year, 1, 31))).startswith("الحادي والثلاثين من يناير")
