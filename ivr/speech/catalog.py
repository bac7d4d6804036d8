"""The prompt catalog: what is said, per language, loaded from prompts/<lang>/*.yaml."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ivr.settings import PROJECT_DIR
from ivr.yamlfiles import read_yaml

PROMPTS_DIR = PROJECT_DIR / "prompts"
LANGUAGES = ("ar", "fr")
META_FILE = "_voice.yaml"


class CatalogError(Exception):
    """The prompt catalog is incomplete or inconsistent."""


@dataclass(frozen=True)
class Voice:
    """How <Say> speaks one language."""

    language: str
    voice: str


def placeholders(text: str) -> set[str]:
    """Return the names of the {placeholders} in a prompt text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalog:
    """Prompt texts by language and key."""

    def __init__(self, texts: dict[str, dict[str, str]], voices: dict[str, Voice]):
        self.texts = texts
        self.voices = voices

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR, check: bool = True) -> Catalog:
        """Load every language folder and (unless told not to) check that all languages have the same keys."""
        texts: dict[str, dict[str, str]] = {}
        voices: dict[str, Voice] = {}
        for language in LANGUAGES:
            folder = directory / language
            meta = cast("dict[str, Any]", read_yaml(folder / META_FILE))  # a mapping of the voice's settings
            voices[language] = Voice(language=meta["say_language"], voice=meta["say_voice"])
            texts[language] = {}
            for path in sorted(folder.glob("*.yaml")):
                if path.name == META_FILE:
                    continue
                for key, text in cast("dict[str, Any]", read_yaml(path) or {}).items():  # key: text
                    if key in texts[language]:
                        raise CatalogError(f"{language}: key {key} defined twice ({path.name})")
                    texts[language][key] = str(text)
        catalog = cls(texts, voices)
        if check:
            catalog.check()
        return catalog

    def check(self) -> None:
        """Refuse a catalog where a key or a placeholder differs between languages."""
        reference, *others = LANGUAGES
        for language in others:
            missing = set(self.texts[reference]) ^ set(self.texts[language])
            if missing:
                raise CatalogError(f"keys not in every language: {sorted(missing)}")
            for key, text in self.texts[reference].items():
                if placeholders(text) != placeholders(self.texts[language][key]):
                    raise CatalogError(f"{key}: placeholders differ between {reference} and {language}")

    def has(self, key: str) -> bool:
        """Tell whether a key exists (in every language, as check() ensures)."""
        return key in self.texts[LANGUAGES[0]]

    def text(self, language: str, key: str, **params: object) -> str:
        """Return the text of a prompt in a language, with its placeholders filled."""
        template = self.texts[language][key]
        return template.format(**params) if params else template
