"""The prompt catalog: what is said, per language, loaded from prompts/<lang>/*.yaml, with the fully vocalised
Arabic the synthesiser reads, from prompts/<lang>/vocalised/*.yaml, and the languages that exist by studio
recordings alone (prompts/<lang>/_voice.yaml with `recorded_only: true`, and no texts)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ivr.settings import PROJECT_DIR
from ivr.yamlfiles import read_yaml

PROMPTS_DIR = PROJECT_DIR / "prompts"
LANGUAGES = ("ar", "fr")  # written languages: texts, SMS, synthesis and <Say>
META_FILE = "_voice.yaml"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")  # an ISO 639 code, with a variant (zgh, ber-tfng)
# Languages whose synthesiser needs the short vowels written (espeak-ng drops them otherwise), and the
# subfolder of their texts: load() globs prompts/<lang>/*.yaml only, so it never reads these as prompts.
VOCALISED_LANGUAGES = ("ar",)
VOCALISED_FOLDER = "vocalised"
# Keys never synthesised, so they need no vocalised text: texted (the SMS), or a pause in audio
# (ivr/audio/pieces.py speaks every other key).
TEXTED_PREFIXES = ("sms.",)
UNSPOKEN_KEYS = frozenset({"digit_separator"})

# Tanwin, short vowels, shadda, sukun and the other Arabic marks (U+064B..U+065F), the superscript alef and
# tatweel: what a vocalised text may add to the plain one.
DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
ARABIC_LETTER = re.compile("[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")
SHADDA = "\u0651"
# espeak-ng says a doubled consonant's vowel only when the shadda comes first ("رَّ" typed as fatha then shadda
# loses the fatha); Unicode's canonical order puts the vowel first, so synthesis puts the shadda back first.
VOWEL_BEFORE_SHADDA = re.compile(f"([\u064b-\u0650\u0652]+){SHADDA}")


# The silent alef (hamzat al-wasl) of a word like "اسْتِكْمَال" or "اجْتِمَاعِيّ": espeak-ng reads it as a long a
# ("لِاسْتِكْمَالِ" -> li,a:stikma:li), and reads the short i well only where the alef itself carries it ("لِاِسْتِكْمَالِ"
# -> li?istikma:li, "الاِجْتِمَاعِيِّ" -> al?idZtima:Ai:). Marked only for the synthesiser: such an alef is followed by a
# consonant with a sukun or a shadda, and is not the article's (followed by ل).
WASL_FOLLOWED = "(?=[^\\sل][\u0651\u0652])"
WASL_AFTER_ARTICLE = re.compile("ال\u0650ا" + WASL_FOLLOWED)
WASL_AFTER_PREFIX = re.compile("(?<=[بل]\u0650)ا" + WASL_FOLLOWED)
WASL_STARTING_A_WORD = re.compile(r"(?<!\S)ا" + WASL_FOLLOWED)
# A word ending in a sukun before a definite article, as a value placed after "مِنْ" makes it ("مِنْ الِاثْنَيْنِ"):
# the sukun meets the article's silent alef and takes a helping vowel, a fatha on "مِنْ", else a kasra.
SUKUN_BEFORE_ARTICLE = re.compile("(\\S+)\u0652(?= ال)")


class CatalogError(Exception):
    """The prompt catalog is incomplete or inconsistent."""


@dataclass(frozen=True)
class Voice:
    """How <Say> speaks one language."""

    language: str
    voice: str


@dataclass(frozen=True)
class RecordedLanguage:
    """A language spoken by studio recordings alone (no synthesiser or <Say> voice has it): the key that
    chooses it on the language menu, and the written language of its SMS, of the script the studio reads (each
    prompt's values in that language's order) and of a prompt whose recording goes missing."""

    code: str
    menu_key: str
    written_in: str
    name: str


def placeholders(text: str) -> set[str]:
    """Return the names of the {placeholders} in a prompt text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def strip_diacritics(text: str) -> str:
    """Return a text without its Arabic short vowels, tanwin, shadda, sukun, superscript alef and tatweel."""
    return DIACRITICS.sub("", text)


def shadda_first(text: str) -> str:
    """Put each shadda before the vowel of its letter, the order espeak-ng reads."""
    return VOWEL_BEFORE_SHADDA.sub(lambda found: SHADDA + found[1], text)


def spelled_for_synthesis(text: str) -> str:
    """Return vocalised text as espeak-ng reads it best: each shadda first, a silent alef given its short i."""
    text = WASL_AFTER_ARTICLE.sub("الا\u0650", shadda_first(text))
    return WASL_STARTING_A_WORD.sub("ا\u0650", WASL_AFTER_PREFIX.sub("ا\u0650", text))


def joined(text: str) -> str:
    """Give a vocalised word that ends in a sukun before a definite article its helping vowel ("مِنَ الِاثْنَيْنِ")."""
    return SUKUN_BEFORE_ARTICLE.sub(lambda found: found[1] + ("\u064e" if found[1] == "مِن" else "\u0650"), text)


def first_difference(plain: str, vocalised: str) -> str | None:
    """Describe where a vocalised text, stripped of its diacritics, first differs from the plain one; None if not."""
    stripped = strip_diacritics(vocalised)
    if stripped == plain:
        return None
    at = next(
        (i for i, (a, b) in enumerate(zip(plain, stripped, strict=False)) if a != b), len(min(plain, stripped, key=len))
    )
    word = plain.rfind(" ", 0, at) + 1  # shown from the start of the word that differs
    return (
        f"differs from the plain text at character {at + 1}: {plain[word : at + 8]!r} but {stripped[word : at + 8]!r}"
    )


def needs_vocalised(key: str, text: str) -> bool:
    """Tell whether a key's text is synthesised and has Arabic letters, so it needs a vocalised text."""
    return key not in UNSPOKEN_KEYS and not key.startswith(TEXTED_PREFIXES) and bool(ARABIC_LETTER.search(text))


@dataclass(frozen=True)
class VocalisedProblem:
    """A vocalised text that does not match the plain catalog."""

    language: str
    file: str  # the file name, in prompts/<language>/vocalised/
    key: str
    problem: str

    def __str__(self) -> str:
        return f"prompts/{self.language}/{VOCALISED_FOLDER}/{self.file}: {self.key}: {self.problem}"


class Catalog:
    """Prompt texts by language and key; the vocalised texts beside them, for synthesis."""

    def __init__(
        self,
        texts: dict[str, dict[str, str]],
        voices: dict[str, Voice],
        vocalised: dict[str, dict[str, str]] | None = None,
        files: dict[str, dict[str, str]] | None = None,
        synthesis: bool = False,
        recorded: dict[str, RecordedLanguage] | None = None,
    ):
        self.texts = texts
        self.voices = voices
        # language -> its declaration, for the languages that exist by recordings alone (never in texts)
        self.recorded = recorded or {}
        # language -> key -> fully vocalised text, for the languages whose vocalised folder exists
        self.vocalised = vocalised or {}
        # language -> key -> the file name that holds it (plain, or in the vocalised folder), for problems
        self.files = files or {}
        # True in the catalog for_synthesis() returns: its texts are the vocalised ones, and values are said
        # vocalised too (ivr/speech/values.py).
        self.synthesis = synthesis
        self._for_synthesis: Catalog | None = self if synthesis else None

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR, check: bool = True) -> Catalog:
        """Load every language folder and (unless told not to) check that all languages have the same keys, and
        that the vocalised texts match the plain ones."""
        texts: dict[str, dict[str, str]] = {}
        voices: dict[str, Voice] = {}
        vocalised: dict[str, dict[str, str]] = {}
        files: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            folder = directory / language
            meta = cast("dict[str, Any]", read_yaml(folder / META_FILE))  # a mapping of the voice's settings
            voices[language] = Voice(language=meta["say_language"], voice=meta["say_voice"])
            texts[language] = read_texts(folder, language, files.setdefault(language, {}))
            if language in VOCALISED_LANGUAGES and (folder / VOCALISED_FOLDER).is_dir():
                where = files.setdefault(f"{language}/{VOCALISED_FOLDER}", {})
                vocalised[language] = read_texts(folder / VOCALISED_FOLDER, f"{language}/{VOCALISED_FOLDER}", where)
        catalog = cls(texts, voices, vocalised, files, recorded=read_recorded_languages(directory))
        if check:
            catalog.check()
        return catalog

    def check(self) -> None:
        """Refuse a catalog where a key or a placeholder differs between languages, or a vocalised text
        differs from its plain text."""
        reference, *others = LANGUAGES
        for language in others:
            missing = set(self.texts[reference]) ^ set(self.texts[language])
            if missing:
                raise CatalogError(f"keys not in every language: {sorted(missing)}")
            for key, text in self.texts[reference].items():
                if placeholders(text) != placeholders(self.texts[language][key]):
                    raise CatalogError(f"{key}: placeholders differ between {reference} and {language}")
        found = self.vocalised_problems()
        if found:
            raise CatalogError("; ".join(map(str, found)))

    def vocalised_problems(self) -> list[VocalisedProblem]:
        """Return every vocalised text that differs from its plain text once stripped of its diacritics, that
        has no plain text, or that is missing for a synthesised key."""
        found = []
        for language, vocalised in self.vocalised.items():
            plain = self.texts[language]
            plain_files = self.files.get(language, {})
            vocalised_files = self.files.get(f"{language}/{VOCALISED_FOLDER}", {})

            def problem(key: str, what: str, files: dict[str, str], lang: str = language) -> VocalisedProblem:
                return VocalisedProblem(lang, files.get(key, "*.yaml"), key, what)

            for key, text in plain.items():
                if key not in vocalised and needs_vocalised(key, text):
                    found.append(problem(key, "no vocalised text for this spoken key", plain_files))
            for key, text in vocalised.items():
                if key not in plain:
                    found.append(problem(key, "vocalised, but not in the plain catalog", vocalised_files))
                    continue
                if placeholders(text) != placeholders(plain[key]):
                    names = f"{sorted(placeholders(plain[key]))} but {sorted(placeholders(text))}"
                    found.append(problem(key, f"placeholders differ from the plain text ({names})", vocalised_files))
                difference = first_difference(plain[key], text)
                if difference:
                    found.append(problem(key, difference, vocalised_files))
                elif plain_files.get(key, vocalised_files.get(key)) != vocalised_files.get(key):
                    found.append(problem(key, f"belongs in {plain_files[key]}, as the plain text", vocalised_files))
        return found

    def for_synthesis(self) -> Catalog:
        """Return the catalog the synthesiser reads: Arabic texts fully vocalised (a key without a vocalised text,
        such as a placeholder-only template, keeps its plain text), French unchanged, the same voices, and
        values said vocalised. Built once per catalog: every call step in play mode asks for it."""
        if self._for_synthesis is not None:
            return self._for_synthesis
        texts = {
            language: {
                key: spelled_for_synthesis(self.vocalised.get(language, {}).get(key, text))
                for key, text in keyed.items()
            }
            for language, keyed in self.texts.items()
        }
        self._for_synthesis = Catalog(
            texts, self.voices, self.vocalised, self.files, synthesis=True, recorded=self.recorded
        )
        return self._for_synthesis

    def has(self, key: str) -> bool:
        """Tell whether a key exists (in every language, as check() ensures)."""
        return key in self.texts[LANGUAGES[0]]

    def text(self, language: str, key: str, **params: object) -> str:
        """Return the text of a prompt in a language, with its placeholders filled."""
        template = self.texts[language][key]
        return template.format(**params) if params else template

    def written(self, language: str) -> str:
        """Return the language a language is written in: itself, or a recorded language's written language."""
        found = self.recorded.get(language)
        return found.written_in if found else language

    def template(self, language: str, key: str) -> str:
        """Return the text whose stretches and values a prompt is said in (a recorded language's written one)."""
        return self.texts[self.written(language)][key]


def read_recorded_languages(directory: Path) -> dict[str, RecordedLanguage]:
    """Read the languages declared `recorded_only` in prompts/<lang>/_voice.yaml beside the written ones."""
    found: dict[str, RecordedLanguage] = {}
    for meta_file in sorted(directory.glob(f"*/{META_FILE}")):
        code = meta_file.parent.name
        if code in LANGUAGES:
            continue
        meta = read_yaml(meta_file)
        if not isinstance(meta, dict) or meta.get("recorded_only") is not True:
            raise CatalogError(f"{code}/{META_FILE}: a language besides {', '.join(LANGUAGES)} must be recorded_only")
        found[code] = recorded_language(code, meta)
    keys = [language.menu_key for language in found.values()]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise CatalogError(f"recorded languages share the language menu's key {', '.join(twice)}")
    return found


def recorded_language(code: str, meta: dict[str, Any]) -> RecordedLanguage:
    """Check one recorded language's declaration."""
    where = f"{code}/{META_FILE}"
    if not LANGUAGE_CODE.fullmatch(code):
        raise CatalogError(f"{where}: {code!r} is not a language code (ISO 639: two or three lowercase letters)")
    unknown = sorted(set(meta) - {"recorded_only", "menu_key", "written_in", "name"})
    if unknown:
        raise CatalogError(f"{where}: unknown settings {', '.join(unknown)}")
    key, written_in, name = meta.get("menu_key"), meta.get("written_in"), meta.get("name")
    if not (isinstance(key, str) and len(key) == 1 and key in "123456789"):
        raise CatalogError(f'{where}: menu_key must be one quoted keypad digit 1-9 ("3"), not {key!r}')
    if written_in not in LANGUAGES:
        raise CatalogError(f"{where}: written_in must be one of {', '.join(LANGUAGES)}, not {written_in!r}")
    if not (isinstance(name, str) and name.strip()):
        raise CatalogError(f"{where}: name must say the language in words (as agents and operators read it)")
    return RecordedLanguage(code, key, str(written_in), name.strip())


def read_texts(folder: Path, shown: str, files: dict[str, str]) -> dict[str, str]:
    """Read every prompt file of a folder (not its subfolders), noting in files which file holds each key."""
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == META_FILE:
            continue
        for key, text in cast("dict[str, Any]", read_yaml(path) or {}).items():  # key: text
            if key in texts:
                raise CatalogError(f"{shown}: key {key} defined twice ({path.name})")
            texts[key] = str(text)
            files[key] = path.name
    return texts
