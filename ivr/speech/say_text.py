"""Dynamic values as they are spoken in <Say> text: digits one by one, dates, months; vocalised in the catalog
for synthesis (Catalog.for_synthesis), whose words come from its vocalised texts."""

from __future__ import annotations

from datetime import date

from ivr.speech import arabic_numbers
from ivr.speech.catalog import Catalog

DIGITS = frozenset("0123456789")
# Languages whose prompts say numbers in words: an Arabic caller hears no digits read as bare cardinals.
NUMBERS_IN_WORDS = frozenset({"ar"})


def spoken_digits(catalog: Catalog, language: str, digits: str) -> str:
    """Spell digits one by one as words, separated so the voice pauses between them."""
    if not digits or not set(digits) <= DIGITS:
        raise ValueError("spoken_digits takes a non-empty string of ASCII digits")
    separator = catalog.text(language, "digit_separator")
    return separator.join(catalog.text(language, f"digit.{digit}") for digit in digits)


def spoken_date(catalog: Catalog, language: str, d: date) -> str:
    """Say a date as day, month name and year ("1er février 2022", "الخامس من مارس ألفين واثنين وعشرين")."""
    month, year = catalog.text(language, f"month.{d.month}"), spoken_number(language, d.year, catalog.synthesis)
    if d.day == 1:
        return catalog.text(language, "date.first_month_year", month=month, year=year)
    in_words = language in NUMBERS_IN_WORDS
    day = arabic_numbers.day_of_month(d.day, catalog.synthesis) if in_words else str(d.day)
    return catalog.text(language, "date.day_month_year", day=day, month=month, year=year)


def spoken_month(catalog: Catalog, language: str, d: date) -> str:
    """Say the month of a date with its year ("décembre 2021", "دجنبر ألفين وواحد وعشرين")."""
    month = catalog.text(language, f"month.{d.month}")
    year = spoken_number(language, d.year, catalog.synthesis)
    return catalog.text(language, "month_year", month=month, year=year)


def spoken_minutes(language: str, n: int, vocalised: bool = False) -> str:
    """Say minutes past the hour, with their noun where the language needs one ("عشر دقائق"), else as digits;
    vocalised for the synthesiser when told."""
    return arabic_numbers.minutes(n, vocalised) if language in NUMBERS_IN_WORDS else str(n)


def spoken_number(language: str, n: int, vocalised: bool = False) -> str:
    """Say a number as words where the language's voice would not read digits right, else as digits; vocalised
    for the synthesiser when told."""
    return arabic_numbers.cardinal(n, vocalised) if language in NUMBERS_IN_WORDS else str(n)
