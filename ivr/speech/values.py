"""Typed values that prompts speak, and how each is said in a language (vocalised, in the catalog for synthesis)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ivr.speech import say_text
from ivr.speech.catalog import Catalog, joined, spelled_for_synthesis


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
    """A text given in every language (a category label), with its fully vocalised text in the languages the
    synthesiser needs one for."""

    texts: tuple[tuple[str, str], ...]
    vocalised: tuple[tuple[str, str], ...] = ()
    recording: str | None = None  # the studio's key for it (a category's label), when it has one

    @classmethod
    def of(cls, texts: Mapping[str, str], vocalised: Mapping[str, str] | None = None) -> Localized:
        """Build from texts by language; the vocalised ones and the recording key are given, or carried by the
        texts (a category's Label)."""
        if vocalised is None:
            vocalised = getattr(texts, "vocalised", None) or {}
        recording = getattr(texts, "recording", None)
        return cls(tuple(sorted(texts.items())), tuple(sorted(vocalised.items())), recording)

    def said(self, language: str, synthesis: bool = False) -> str:
        """Return the text in a language: the vocalised one for the synthesiser where there is one."""
        if synthesis and language in dict(self.vocalised):
            return spelled_for_synthesis(dict(self.vocalised)[language])
        return dict(self.texts)[language]


@dataclass(frozen=True)
class Word:
    """A word of the prompt catalog (a day name)."""

    key: str


@dataclass(frozen=True)
class ClockTime:
    """A time of day on a quarter hour ("8 heures 30", "الثامنة والنصف صباحا")."""

    hour: int
    minute: int


@dataclass(frozen=True)
class DaysAndHours:
    """Days (first to last, as "mon".."sun") and the times advisors answer on them."""

    first_day: str
    last_day: str
    opens: ClockTime
    closes: ClockTime


@dataclass(frozen=True)
class Schedule:
    """Every range of the opening hours ("du lundi au vendredi, de 8 heures 30 à 16 heures 30, et le samedi, ...")."""

    ranges: tuple[DaysAndHours, ...]


MINUTE_KEYS = {0: "time.on_the_hour", 15: "time.quarter_past", 30: "time.half_past"}
OTHER_MINUTES_KEY = "time.minutes"


def say_clock_time(catalog: Catalog, language: str, value: ClockTime) -> str:
    """Say a time of day with its part of the day where the language says one ("الرابعة والنصف مساء")."""
    period = "morning" if value.hour < 12 else "noon" if value.hour < 14 else "evening"
    words = {"hour": catalog.text(language, f"hour.{value.hour}"), "period": catalog.text(language, f"period.{period}")}
    if value.minute in MINUTE_KEYS:
        return catalog.text(language, MINUTE_KEYS[value.minute], **words)
    said_minutes = say_text.spoken_minutes(language, value.minute, catalog.synthesis)
    return catalog.text(language, OTHER_MINUTES_KEY, minutes=said_minutes, **words)


def say_schedule(catalog: Catalog, language: str, schedule: Schedule) -> str:
    """Say every range of days and hours, joined as one phrase."""

    def days(found: DaysAndHours) -> str:
        first, last = (catalog.text(language, f"day.{day}") for day in (found.first_day, found.last_day))
        if found.first_day == found.last_day:
            return catalog.text(language, "hours.one_day", day=first)
        return catalog.text(language, "hours.days", first_day=first, last_day=last)

    return catalog.text(language, "hours.separator").join(
        catalog.text(
            language,
            "hours.range",
            days=days(found),
            opens=say_clock_time(catalog, language, found.opens),
            closes=say_clock_time(catalog, language, found.closes),
        )
        for found in schedule.ranges
    )


VALUE_RECORDINGS = "value."  # the studio's keys for whole values, apart from the catalog's prompt keys


def value_recording_key(value: object) -> str | None:
    """Return the studio's key for a value recorded whole (a date, a month, a label, the opening hours), or None
    for one that is not (digits are read from the recorded digit words, a catalog word is its prompt key)."""
    if isinstance(value, Day):
        return f"{VALUE_RECORDINGS}date.{value.day.isoformat()}"
    if isinstance(value, Month):
        return f"{VALUE_RECORDINGS}month.{value.month:%Y-%m}"
    if isinstance(value, Localized) and value.recording:
        return f"{VALUE_RECORDINGS}{value.recording}"
    if isinstance(value, ClockTime):
        return f"{VALUE_RECORDINGS}time.{value.hour:02d}{value.minute:02d}"
    if isinstance(value, Schedule):
        ranges = (f"{r.first_day}-{r.last_day}-{r.opens.hour:02d}{r.opens.minute:02d}-" for r in value.ranges)
        closes = (f"{r.closes.hour:02d}{r.closes.minute:02d}" for r in value.ranges)
        return f"{VALUE_RECORDINGS}hours." + "_".join(a + b for a, b in zip(ranges, closes, strict=True))
    return None


def say_value(catalog: Catalog, language: str, value: object) -> str:
    """Return how a value is said in a language (vocalised, its words joined, in the catalog for synthesis)."""
    said = said_value(catalog, language, value)
    return joined(said) if catalog.synthesis else said


def said_value(catalog: Catalog, language: str, value: object) -> str:
    if isinstance(value, DigitString):
        return say_text.spoken_digits(catalog, language, value.digits)
    if isinstance(value, Day):
        return say_text.spoken_date(catalog, language, value.day)
    if isinstance(value, Month):
        return say_text.spoken_month(catalog, language, value.month)
    if isinstance(value, Localized):
        return value.said(language, catalog.synthesis)
    if isinstance(value, Word):
        return catalog.text(language, value.key)
    if isinstance(value, ClockTime):
        return say_clock_time(catalog, language, value)
    if isinstance(value, Schedule):
        return say_schedule(catalog, language, value)
    return str(value)


def prompt_text(catalog: Catalog, language: str, key: str, params: dict[str, object]) -> str:
    """Return a prompt's text in a language, its placeholders said in that language (vocalised, and joined to
    the words before them, in the catalog for synthesis)."""
    text = catalog.text(language, key, **{name: say_value(catalog, language, v) for name, v in params.items()})
    return joined(text) if catalog.synthesis else text
