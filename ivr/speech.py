"""Dynamic values as they are spoken in <Say> text: digits one by one, dates, months."""
from __future__ import annotations

from datetime import date

from ivr.prompts import Catalog

DIGITS = frozenset("0123456789")


def spoken_digits(catalog: Catalog, language: str, digits: str) -> str:
    """Spell digits one by one as words, separated so the voice pauses between them."""
    if not digits or not set(digits) <= DIGITS:
        raise ValueError("spoken_digits takes a non-empty string of ASCII digits")
    separator = catalog.text(language, "digit_separator")
    return separator.join(catalog.text(language, f"digit.{digit}") for digit in digits)


def spoken_date(catalog: Catalog, language: str, d: date) -> str:
    """Say a date as day, month name and year ("1er février 2022", "فاتح فبراير 2022")."""
    day = catalog.text(language, "date.first_of_month") if d.day == 1 else str(d.day)
    month = catalog.text(language, f"month.{d.month}")
    return catalog.text(language, "date.day_month_year", day=day, month=month, year=d.year)


def spoken_month(catalog: Catalog, language: str, d: date) -> str:
    """Say the month of a date with its year ("décembre 2021", "دجنبر 2021")."""
    month = catalog.text(language, f"month.{d.month}")
    return catalog.text(language, "month_year", month=month, year=d.year)
