"""What a prompt is made of when it is played: pieces of text to render, and pauses between them.

A prompt without placeholders is one piece. In a prompt with values, each stretch of text between
placeholders is a piece, and each value is said in the caller's language (ivr/speech/values.py): digits one
by one as the catalog's digit words with pauses between them, anything else as one piece of its own.

Where the studio recorded a piece (ivr/audio/recordings.py), it is played instead of the synthesis: the whole
prompt, each stretch between its values (`KEY/N`), the digit words of a number read digit by digit (only when
every digit of it is recorded, so one number is not read in two voices), a catalog word given as a value, and
a value recorded whole (`value.date.2022-02-01`, `value.category.cpu`: ivr/speech/values.py).

A language recorded by the studio alone (ivr/speech/catalog.py RecordedLanguage) is composed the same way from
its written language's templates; whatever of it is not recorded is said in that written language.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ivr.audio.library import Pause, Recorded
from ivr.audio.recordings import stretch_key
from ivr.speech.catalog import TEXTED_PREFIXES, UNSPOKEN_KEYS, Catalog
from ivr.speech.opening_hours import hours_words, opening_hours
from ivr.speech.values import Day, DigitString, Localized, Month, Word, say_value, value_recording_key

if TYPE_CHECKING:  # named in annotations only: importing the runtime would load the flows and the store
    from ivr.registration.categories import Category, InfoChoice
    from ivr.runtime import Runtime

PHRASE_GAP = Pause(120)  # between a stretch of text and a value
DIGIT_GAP = Pause(250)  # between two digits read one by one
END_GAP = Pause(400)  # after a prompt, before the next one
# Texted, never said (the SMS), or a pause in audio: the catalog's one definition.
NOT_SPOKEN_PREFIXES, NOT_SPOKEN_KEYS = TEXTED_PREFIXES, UNSPOKEN_KEYS
# The recording of a recording key (a prompt's key, `KEY/N` for a stretch, a word's key), or None.
RecordingOf = Callable[[str], Recorded | None]


def no_recordings(_: str) -> Recorded | None:
    return None


def template_pieces(template: str) -> list[str | None]:
    """Return a template's stretches of spoken text, with None where each value goes."""
    found: list[str | None] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if any(character.isalnum() for character in literal):
            found.append(literal.strip())
        if field is not None:
            found.append(None)
    return found


def value_pieces(
    catalog: Catalog, language: str, value: object, recording: RecordingOf = no_recordings
) -> list[str | Pause | Recorded]:
    """Return how a value is said: digit words with pauses, or one piece; recorded where the studio recorded it."""
    written = catalog.written(language)
    if isinstance(value, DigitString):
        recorded = [recording(f"digit.{digit}") for digit in value.digits]
        words: list[str | Recorded] = (
            [found for found in recorded if found is not None]
            if all(recorded)
            else [catalog.text(written, f"digit.{digit}") for digit in value.digits]
        )
        return [piece for word in words for piece in (DIGIT_GAP, word)][1:]
    if isinstance(value, Word):
        return [recording(value.key) or catalog.text(written, value.key)]
    key = value_recording_key(value)
    return [(recording(key) if key else None) or say_value(catalog, written, value)]


def prompt_pieces(
    catalog: Catalog, language: str, key: str, params: dict[str, object], recording: RecordingOf = no_recordings
) -> list[str | Pause | Recorded]:
    """Return the pieces and pauses of a prompt in a language, ending with a pause, recorded where they are."""
    template = catalog.template(language, key)
    values = iter(field for _, field, _, _ in string.Formatter().parse(template) if field is not None)
    stretches = template_pieces(template)
    has_values = None in stretches
    whole = None if has_values else recording(key)
    if whole is not None:
        return [whole, END_GAP]
    pieces: list[str | Pause | Recorded] = []
    number = 0
    for stretch in stretches:
        if pieces:
            pieces.append(PHRASE_GAP)
        if stretch is None:
            pieces += value_pieces(catalog, language, params[next(values)], recording)
        else:
            number += 1
            pieces.append((recording(stretch_key(key, number)) if has_values else None) or stretch)
    return [*pieces, END_GAP]


def recording_keys(catalog: Catalog, language: str, key: str) -> list[str]:
    """Return what the studio records of a prompt: the prompt itself, or each stretch between its values.

    Nothing for a text made of values alone (`{month} {year}`) or of no words (a separator): its words are
    recorded as words of their own, if at all.
    """
    stretches = template_pieces(catalog.template(language, key))
    if not any(stretches):
        return []
    if None not in stretches:
        return [key]
    return [stretch_key(key, number) for number in range(1, len([s for s in stretches if s is not None]) + 1)]


@dataclass(frozen=True)
class Coverage:
    """How many of a language's spoken prompts are recorded, synthesised (not recorded), or neither."""

    recorded: int
    synthetic: int
    missing: int
    not_recorded: list[str]  # their keys, in catalog order


def coverage(catalog: Catalog, language: str, recording: RecordingOf, synthesised: bool) -> Coverage:
    """Count a language's spoken prompts by recordings: a prompt with values counts when all its stretches do.

    A text with nothing to record (`{month} {year}`, a separator) is not counted.
    """
    to_record = {key: recording_keys(catalog, language, key) for key in spoken_keys(catalog)}
    to_record = {key: parts for key, parts in to_record.items() if parts}
    not_recorded = [key for key, parts in to_record.items() if not all(recording(part) for part in parts)]
    return Coverage(
        len(to_record) - len(not_recorded),
        len(not_recorded) if synthesised else 0,
        0 if synthesised else len(not_recorded),
        not_recorded,
    )


def missing_recordings(catalog: Catalog, language: str, recording: RecordingOf, values: list[object]) -> list[str]:
    """Return what a language lacks to be spoken by recordings alone: its prompts' recording keys (the digit
    words among them) and the values known in advance, recorded whole."""
    needed = [part for key in spoken_keys(catalog) for part in recording_keys(catalog, language, key)]
    return [key for key in dict.fromkeys([*needed, *value_keys(values)]) if recording(key) is None]


def value_keys(values: list[object]) -> list[str]:
    """Return the studio's keys of the values known in advance that are recorded whole."""
    return [key for key in dict.fromkeys(map(value_recording_key, values)) if key]


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
        texts: list[str | Pause | Recorded | None] = [
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
