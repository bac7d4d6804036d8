"""Tell which catalog prompt a caller heard, from a <Say> text (or a <Play> URL the app can name)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from ivr.simulator.caller import Utterance
from ivr.speech.catalog import Catalog

# Keys that are pieces of other prompts (words of dynamic values, the SMS), never a whole <Say>.
FRAGMENT_PREFIXES = ("digit", "month", "date.", "day.", "time.", "hour.", "hours.", "period.", "sms.")
SECRET_FIELDS = ("password",)  # placeholders of an SMS that a transcript never shows
HIDDEN = "‹hidden›"


@dataclass(frozen=True)
class Heard:
    """One utterance as the caller heard it, with the prompt key recognised (None when unknown)."""

    key: str | None
    language: str | None
    text: str
    also: tuple[str, ...] = ()  # other keys whose templates fit the text just as well

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 70 else self.text[:67] + "..."
        return f'{"|".join((self.key or "?", *self.also))} "{shown}"'

    def is_key(self, key: str) -> bool:
        """Tell whether this utterance may be the prompt key (an ambiguous text may be any of its keys)."""
        return key == self.key or key in self.also


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
            (
                _template(language, key, text)
                for language, texts in catalog.texts.items()
                for key, text in texts.items()
                if not key.startswith(FRAGMENT_PREFIXES)
            ),
            key=lambda template: -template.literal_length,
        )
        self.say_languages = {voice.language: language for language, voice in catalog.voices.items()}
        self.play_key = play_key
        self.catalog = catalog
        self.sms_patterns = [
            _sms_pattern(text)
            for texts in catalog.texts.values()
            for key, text in texts.items()
            if key.startswith("sms.")
        ]

    def say(self, text: str, say_language: str | None = None) -> Heard:
        """Recognise a <Say> text; its language attribute narrows the search to one catalog language."""
        language = self.say_languages.get(say_language or "")
        normalised = " ".join(text.split())
        best: _Template | None = None
        also: list[str] = []
        for template in self.templates:  # the most literal first: a placeholder matches anything
            if best is not None and template.literal_length < best.literal_length:
                break
            if (language and template.language != language) or not template.pattern.fullmatch(normalised):
                continue
            if best is None:
                best = template
            elif template.language == best.language and template.key not in (best.key, *also):
                also.append(template.key)  # as literal, in the same language: it fits just as well
        if best is None:
            return Heard(None, language, text)
        return Heard(best.key, best.language, text, tuple(also))

    def play(self, url: str) -> Heard:
        """Recognise a <Play> URL when the app can tell which prompt it is; otherwise the key is unknown."""
        found = self.play_key(url) if self.play_key else None
        if not found:
            return Heard(None, None, url)
        key, language = found
        # What the recording says, its values left as {placeholders}: text fragments can be checked too.
        return Heard(key, language, " ".join(self.catalog.template(language, key).split()))

    def sms_shown(self, body: str) -> str:
        """Return an SMS as a transcript may show it: its secrets hidden, or only its length when unknown."""
        for pattern in self.sms_patterns:
            found = pattern.fullmatch(body)
            if found:
                for start, end in sorted((found.span(name) for name in found.groupdict()), reverse=True):
                    body = body[:start] + HIDDEN + body[end:]
                return body
        return f"‹an SMS of {len(body)} characters that is no catalog text, not shown›"

    def utterance(self, utterance: Utterance) -> Heard:
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


def _sms_pattern(text: str) -> re.Pattern:
    """Return a pattern of an SMS text whose named groups are its secret values."""
    parts, named = [], set()
    for prefix, name, _, _ in string.Formatter().parse(text):
        parts.append(re.escape(prefix))
        if name is not None:
            parts.append(f"(?P<{name}>.+?)" if name in SECRET_FIELDS and name not in named else ".+?")
            named.add(name)
    return re.compile("".join(parts), re.DOTALL)
