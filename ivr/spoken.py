"""Typed values that prompts speak, and how each is said in a language."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ivr.prompts import Catalog


@dataclass(frozen=True)
class DigitString:
    """Digits said one by one (a registration number, the end of a mobile)."""

    digits: str


@dataclass(frozen=True)
class Day:
    """A calendar date ("1er février 2022")."""

    day: date


@dataclass(frozen=True)
class Month:
    """A month of a year ("décembre 2021")."""

    month: date


@dataclass(frozen=True)
class Localized:
    """A text given in every language (a category label)."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, texts: dict[str, str]) -> "Localized":
        return cls(tuple(sorted(texts.items())))


@dataclass(frozen=True)
class Word:
    """A word of the prompt catalog (a day name)."""

    key: str


@dataclass(frozen=True)
class ClockTime:
    """A time of day ("8 heures 30")."""

    hour: int
    minute: int


def say_value(catalog: Catalog, language: str, value: object) -> str:
    """Return how a value is said in a language."""
    from ivr import speech

    if isinstance(value, DigitString):
        return speech.spoken_digits(catalog, language, value.digits)
    if isinstance(value, Day):
        return speech.spoken_date(catalog, language, value.day)
    if isinstance(value, Month):
        return speech.spoken_month(catalog, language, value.month)
    if isinstance(value, Localized):
        return dict(value.texts)[language]
    if isinstance(value, Word):
        return catalog.text(language, value.key)
    if isinstance(value, ClockTime):
        if value.minute:
            return catalog.text(language, "time.hour_minute", hour=value.hour, minute=f"{value.minute:02d}")
        return catalog.text(language, "time.hour", hour=value.hour)
    return str(value)


def prompt_text(catalog: Catalog, language: str, key: str, params: dict[str, object]) -> str:
    """Return a prompt's text in a language, its placeholders said in that language."""
    return catalog.text(language, key, **{name: say_value(catalog, language, v) for name, v in params.items()})
