"""Tell which prompt a <Play> URL plays, from the audio library's content-addressed names (ivr/audio): the
synthesised pieces' and the studio recordings' of its index."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from ivr.audio.library import AudioLibrary
from ivr.audio.pieces import recording_keys, spoken_keys, template_pieces
from ivr.audio.synthesis import unavailable_reason, voice_settings
from ivr.simulator.recognise import FRAGMENT_PREFIXES
from ivr.speech.catalog import Catalog

log = logging.getLogger(__name__)
PlayKey = Callable[[str], "tuple[str, str] | None"]
NAME = re.compile(r"/([0-9a-fp-]+)\.wav$")


def play_lookup(catalog: Catalog, library: AudioLibrary | None = None) -> PlayKey | None:
    """Return a lookup of <Play> URLs to (key, language), or None when no audio library can name pieces here."""
    try:
        library = library or _naming_library()
        if library is None:
            return None
        signatures = []
        spoken = catalog.for_synthesis()  # the texts the pieces were rendered from, and are named after
        for language in spoken.texts:
            for key in (k for k in spoken_keys(catalog) if not k.startswith(FRAGMENT_PREFIXES)):
                names = [
                    library.name(language, stretch)
                    for stretch in template_pieces(spoken.texts[language][key])
                    if stretch is not None
                ]
                if names:
                    signatures.append((names, key, language))
        signatures += recorded_signatures(catalog, library)
    except Exception as error:  # no audio here: <Play> prompts are heard without a key
        log.info("no prompt keys for <Play> URLs: %s", error)
        return None
    signatures.sort(key=lambda signature: -len(signature[0]))

    def lookup(url: str) -> tuple[str, str] | None:
        found = NAME.search(url)
        if not found:
            return None
        tokens = found[1].split("-")
        for names, key, language in signatures:
            if _in_order(names, tokens):
                return key, language
        return None

    return lookup


def recorded_signatures(catalog: Catalog, library: AudioLibrary) -> list[tuple[list[str], str, str]]:
    """Return the names of each prompt the studio recorded (whole, or all its stretches), per language."""
    recordings = library.recordings()
    found = []
    for language in [*catalog.texts, *catalog.recorded]:
        for key in (k for k in spoken_keys(catalog) if not k.startswith(FRAGMENT_PREFIXES)):
            names = [recordings.name(language, part) for part in recording_keys(catalog, language, key)]
            if names and all(names):
                found.append(([name for name in names if name], key, language))
    return found


def _in_order(names: list[str], tokens: list[str]) -> bool:
    """Tell whether names appear in tokens in this order (values and pauses may come between them)."""
    remaining = iter(tokens)
    return all(name in remaining for name in names)


def _naming_library() -> AudioLibrary | None:
    """Return a library that can name pieces (never render), when this machine has the audio engine."""
    voices = voice_settings()
    if unavailable_reason(voices):
        return None
    return AudioLibrary(Path("."), voices, synthesizer=None)
