"""Tell which catalog prompt a caller heard, from a <Say> text (or a <Play> URL the app can name)."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Callable

from ivr.prompts import Catalog

# Keys that are pieces of other prompts (words of dynamic values, the SMS), never a whole <Say>.
FRAGMENT_PREFIXES = ("digit", "month", "date.", "day.", "time.", "sms.")


@dataclass(frozen=True)
class Heard:
    """One utterance as the caller heard it, with the prompt key recognised (None when unknown)."""

    key: str | None
    language: str | None
    text: str

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 70 else self.text[:67] + "..."
        return f'{self.key or "?"} "{shown}"'


@dataclass(frozen=True)
class _Template:
    key: str
    language: str
    pattern: re.Pattern
    literal_length: int


class Recogniser:
    """Match utterances against the catalog's templates, placeholders being wildcards."""

    def __init__(self, catalog: Catalog, play_key: Callable[[str], tuple[str, str] | None] | None = None):
        self.templates = sorted(
            (_template(language, key, text) for language, texts in catalog.texts.items()
             for key, text in texts.items() if not key.startswith(FRAGMENT_PREFIXES)),
            key=lambda template: -template.literal_length,
        )
        self.say_languages = {voice.language: language for language, voice in catalog.voices.items()}
        self.play_key = play_key

    def say(self, text: str, say_language: str | None = None) -> Heard:
        """Recognise a <Say> text; its language attribute narrows the search to one catalog language."""
        language = self.say_languages.get(say_language or "")
        normalised = " ".join(text.split())
        for template in self.templates:
            if language and template.language != language:
                continue
            if template.pattern.fullmatch(normalised):
                return Heard(template.key, template.language, text)
        return Heard(None, language, text)

    def play(self, url: str) -> Heard:
        """Recognise a <Play> URL when the app can tell which prompt it is; otherwise the key is unknown."""
        found = self.play_key(url) if self.play_key else None
        return Heard(found[0], found[1], url) if found else Heard(None, None, url)

    def utterance(self, utterance) -> Heard:
        """Recognise one Utterance of the simulated caller."""
        if utterance.url is not None:
            return self.play(utterance.url)
        return self.say(utterance.text or "", utterance.language)


def _template(language: str, key: str, text: str) -> _Template:
    parts, literal = [], 0
    for prefix, name, _, _ in string.Formatter().parse(" ".join(text.split())):
        parts.append(re.escape(prefix))
        literal += len(prefix)
        if name is not None:
            parts.append(".+?")
    return _Template(key, language, re.compile("".join(parts), re.DOTALL), literal)
