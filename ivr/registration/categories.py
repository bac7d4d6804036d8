"""The categories of the communiqué: labels, contribution month and AMO start, from data/categories.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from ivr.settings import DATA_DIR
from ivr.speech.catalog import LANGUAGES, VOCALISED_LANGUAGES, first_difference
from ivr.yamlfiles import read_yaml

CATEGORIES_FILE = DATA_DIR / "categories.yaml"

# The codes of the product contract (spec §3), in the communiqué's order.
CATEGORY_CODES = (
    "cpu",
    "commercant_comptable",
    "medecin",
    "pharmacien",
    "dentiste",
    "notaire",
    "sage_femme",
    "kinesitherapeute",
    "opticien",
    "audioprothesiste",
    "orthoptiste",
    "orthophoniste",
    "psychomotricien",
    "podologue",
    "prothesiste_dentaire",
    "dieteticien",
    "psychologue",
    "auto_entrepreneur",
)


class CategoryError(Exception):
    """The categories file is incomplete or inconsistent."""


class Label(dict[str, str]):
    """A label by language, carrying its fully vocalised texts for the synthesiser and the studio's key for its
    recording (read by ivr/speech/values.py Localized.of), so it compares and shows as the plain labels."""

    def __init__(
        self, texts: dict[str, str] | None = None, vocalised: dict[str, str] | None = None, recording: str = ""
    ):
        super().__init__(texts or {})
        self.vocalised = vocalised or {}
        self.recording = recording or None


@dataclass(frozen=True)
class Category:
    """One category of self-employed workers and its dates."""

    code: str
    label: Label
    contributions_due: date  # the 1st of the month from which contributions are due
    coverage_starts: date


@dataclass(frozen=True)
class InfoChoice:
    """One choice of the information menu: a group of categories sharing their dates."""

    key: str
    label: Label
    contributions_due: date
    coverage_starts: date
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryTable:
    """Every category by code, and the information menu."""

    categories: dict[str, Category]
    info_choices: list[InfoChoice] = field(default_factory=list)

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the category codes in the communiqué's order."""
        return tuple(self.categories)

    def get(self, code: str) -> Category:
        """Return a category by code; KeyError if there is none."""
        return self.categories[code]

    def info_choice(self, key: str) -> InfoChoice:
        """Return the information-menu choice of a keypad digit; KeyError if there is none."""
        for choice in self.info_choices:
            if choice.key == key:
                return choice
        raise KeyError(key)


def load_categories(path: Path = CATEGORIES_FILE) -> CategoryTable:
    """Load and check the categories file."""
    data = cast("dict[str, Any]", read_yaml(path) or {})  # the file is a mapping; its values are checked below
    raw_categories = data.get("categories") or {}
    missing = sorted(set(CATEGORY_CODES) - set(raw_categories))
    extra = sorted(set(raw_categories) - set(CATEGORY_CODES))
    if missing or extra:
        raise CategoryError(f"categories must be the spec's codes (missing {missing}, extra {extra})")
    categories = {code: _category(code, raw_categories[code]) for code in CATEGORY_CODES}
    choices = [_info_choice(str(key), raw, categories) for key, raw in (data.get("info_choices") or {}).items()]
    grouped = [code for choice in choices for code in choice.categories]
    if sorted(grouped) != sorted(CATEGORY_CODES):
        raise CategoryError("info_choices must list every category exactly once")
    return CategoryTable(categories=categories, info_choices=choices)


def _category(code: str, raw: dict) -> Category:
    due, starts = _month(code, raw.get("contributions_due")), _day(code, raw.get("coverage_starts"))
    if starts <= due:
        raise CategoryError(f"{code}: coverage_starts must come after the contributions month")
    label = _label(code, raw.get("label"), f"category.{code}")
    return Category(code=code, label=label, contributions_due=due, coverage_starts=starts)


def _info_choice(key: str, raw: dict, categories: dict[str, Category]) -> InfoChoice:
    if not re.fullmatch(r"[1-9]", key):
        raise CategoryError(f"info choice {key!r}: the key must be one keypad digit 1-9")
    codes = tuple(raw.get("categories") or ())
    unknown = [code for code in codes if code not in categories]
    if not codes or unknown:
        raise CategoryError(f"info choice {key}: needs known categories (unknown: {unknown})")
    dates = {(categories[code].contributions_due, categories[code].coverage_starts) for code in codes}
    if len(dates) != 1:
        raise CategoryError(f"info choice {key}: its categories do not share the same dates")
    ((due, starts),) = dates
    return InfoChoice(
        key=key,
        label=_label(f"info choice {key}", raw.get("label"), f"info_choice.{key}"),
        contributions_due=due,
        coverage_starts=starts,
        categories=codes,
    )


def _label(owner: str, raw: object, recording: str) -> Label:
    if not isinstance(raw, dict) or any(not str(raw.get(lang) or "").strip() for lang in LANGUAGES):
        raise CategoryError(f"{owner}: needs a label in each of {LANGUAGES}")
    texts = {lang: str(raw[lang]).strip() for lang in LANGUAGES}
    vocalised = {}
    for lang in VOCALISED_LANGUAGES:
        text = str(raw.get(f"{lang}_vocalised") or "").strip()
        if not text:
            raise CategoryError(f"{owner}: needs {lang}_vocalised, the {lang} label fully vocalised for synthesis")
        difference = first_difference(texts[lang], text)
        if difference:
            raise CategoryError(f"{owner}: {lang}_vocalised {difference}")
        vocalised[lang] = text
    return Label(texts, vocalised, recording)


def _month(owner: str, raw: object) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(raw))
    if not match or not 1 <= int(match[2]) <= 12:
        raise CategoryError(f"{owner}: contributions_due must be a month YYYY-MM")
    return date(int(match[1]), int(match[2]), 1)


def _day(owner: str, raw: object) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise CategoryError(f"{owner}: coverage_starts must be a date YYYY-MM-DD") from None
