"""What a prompt is made of when it is played: pieces of text to render, and pauses between them.

A prompt without placeholders is one piece. In a prompt with values, each stretch of text between
placeholders is a piece, and each value is said in the caller's language (ivr/speech/values.py): digits one
by one as the catalog's digit words with pauses between them, anything else as one piece of its own.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from ivr.audio.library import Pause
from ivr.speech.catalog import Catalog
from ivr.speech.opening_hours import hours_words, opening_hours
from ivr.speech.values import Day, DigitString, Localized, Month, say_value

if TYPE_CHECKING:  # named in annotations only: importing the runtime would load the flows and the store
    from ivr.registration.categories import Category, InfoChoice
    from ivr.runtime import Runtime

PHRASE_GAP = Pause(120)  # between a stretch of text and a value
DIGIT_GAP = Pause(250)  # between two digits read one by one
END_GAP = Pause(400)  # after a prompt, before the next one
NOT_SPOKEN_PREFIXES = ("sms.",)  # texted, never said
NOT_SPOKEN_KEYS = {"digit_separator"}  # in audio, a pause


def template_pieces(template: str) -> list[str | None]:
    """Return a template's stretches of spoken text, with None where each value goes."""
    found: list[str | None] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if any(character.isalnum() for character in literal):
            found.append(literal.strip())
        if field is not None:
            found.append(None)
    return found


def value_pieces(catalog: Catalog, language: str, value: object) -> list[str | Pause]:
    """Return how a value is said: digit words with pauses, or one piece."""
    if isinstance(value, DigitString):
        words = [catalog.text(language, f"digit.{digit}") for digit in value.digits]
        return [piece for word in words for piece in (DIGIT_GAP, word)][1:]
    return [say_value(catalog, language, value)]


def prompt_pieces(catalog: Catalog, language: str, key: str, params: dict[str, object]) -> list[str | Pause]:
    """Return the pieces and pauses of a prompt in a language, ending with a pause."""
    values = iter(
        field for _, field, _, _ in string.Formatter().parse(catalog.texts[language][key]) if field is not None
    )
    pieces: list[str | Pause] = []
    for stretch in template_pieces(catalog.texts[language][key]):
        if pieces:
            pieces.append(PHRASE_GAP)
        if stretch is None:
            pieces += value_pieces(catalog, language, params[next(values)])
        else:
            pieces.append(stretch)
    return [*pieces, END_GAP]


def spoken_keys(catalog: Catalog) -> list[str]:
    """Return the catalog keys that are said (not texted, not a separator)."""
    return [
        key
        for key in catalog.texts[catalog_languages(catalog)[0]]
        if key not in NOT_SPOKEN_KEYS and not key.startswith(NOT_SPOKEN_PREFIXES)
    ]


def texts_to_render(catalog: Catalog, values: list[object]) -> dict[str, list[str]]:
    """Return, per language, every text to render: the prompts' stretches and the known values."""
    found: dict[str, list[str]] = {}
    for language in catalog_languages(catalog):
        texts: list[str | Pause | None] = [
            piece for key in spoken_keys(catalog) for piece in template_pieces(catalog.texts[language][key])
        ]
        texts += [piece for value in values for piece in value_pieces(catalog, language, value)]
        found[language] = [text for text in dict.fromkeys(texts) if isinstance(text, str) and text]
    return found


def catalog_languages(catalog: Catalog) -> list[str]:
    return list(catalog.texts)


def known_values(rt: Runtime) -> list[object]:
    """Return the values prompts can say that are known in advance: categories, their dates, the hours."""
    groups: list[Category | InfoChoice] = [*rt.categories.categories.values(), *rt.categories.info_choices]
    values: list[object] = [
        v for g in groups for v in (Localized.of(g.label), Month(g.contributions_due), Day(g.coverage_starts))
    ]
    return values + list(hours_words(opening_hours(rt.settings)).values())
