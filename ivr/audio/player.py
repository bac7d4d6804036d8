"""Play mode: which prompts have audio, at which absolute URL; and the library a process starts with."""

from __future__ import annotations

import logging
import time
from functools import partial
from pathlib import Path

from ivr.audio.library import ON_DEMAND_WAIT, AudioLibrary
from ivr.audio.pieces import prompt_pieces
from ivr.audio.synthesis import Synthesizer, unavailable_reason, voice_settings
from ivr.runtime import Runtime
from ivr.settings import Settings
from ivr.speech.catalog import Catalog

log = logging.getLogger(__name__)
AUDIO_PATH = "/audio"


class Player:
    """Turn one step's prompts into <Play> URLs, or None where a prompt must be said instead.

    Each piece is played from its studio recording where there is one, else from the synthesis; a language
    recorded alone that misses a piece of a prompt plays that prompt in its written language. Missing
    synthesised pieces are rendered on demand, but the whole step waits for them ON_DEMAND_WAIT at most;
    a recorded piece is never waited for.
    """

    def __init__(self, library: AudioLibrary, catalog: Catalog, base_url: str, wait: float = ON_DEMAND_WAIT):
        self.library, self.catalog, self.base_url = library, catalog, base_url.rstrip("/")
        self.deadline = time.monotonic() + wait
        self.recordings = library.recordings()  # the index as of this step, for all its prompts

    def url(self, language: str, key: str, params: dict[str, object]) -> str | None:
        """Return the absolute URL of a prompt's audio, or None when its audio is not ready in time."""
        try:
            pieces = prompt_pieces(
                self.catalog, language, key, params, partial(self.library.recorded, self.recordings, language)
            )
            texts = [piece for piece in pieces if isinstance(piece, str)]
            written = self.catalog.written(language)
            if texts and written != language:  # a recorded language missing a piece: its written one, whole
                return self.url(written, key, params)
            if not self.library.ready(language, texts, wait=max(0.0, self.deadline - time.monotonic())):
                return None
            name = self.library.composition(language, pieces)
            if not self.library.playable(name):  # too many pieces or too long for /audio/ to join
                return None
            return f"{self.base_url}{AUDIO_PATH}/{name}.wav"
        except Exception:  # a missing audio file must never cost the caller the prompt
            log.exception("audio: no URL for %s (%s); said with <Say>", key, language)
            return None


def start_library(settings: Settings) -> AudioLibrary | None:
    """Return the audio library in play mode, or None (saying why, once) when prompts are said."""
    if settings["IVR_PROMPT_MODE"] != "play":
        return None
    voices = voice_settings()
    reason = unavailable_reason(voices)
    if reason:
        log.warning("IVR_PROMPT_MODE=play, but %s: prompts are said with <Say>", reason)
        return None
    directory = Path(str(settings["IVR_AUDIO_DIR"]))
    if not any(directory.glob("*.wav")):
        log.warning(
            "IVR_PROMPT_MODE=play: %s holds no audio yet; run `flask --app app prompts render` "
            "(until then pieces are rendered on demand)",
            directory,
        )
    return AudioLibrary(directory, voices, Synthesizer())


def player_for(rt: Runtime, base_url: str) -> Player | None:
    """Return a player whose URLs start with base_url (absolute: ivr.settings.public_base_url given the
    request's root), or None in say mode or without a base URL."""
    library = rt.extras.get("audio")
    if library is None:
        return None
    # The synthesiser reads Arabic vocalised (prompts/ar/vocalised): the pieces are named after those texts.
    return Player(library, rt.catalog.for_synthesis(), base_url) if base_url else None
