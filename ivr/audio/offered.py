"""Which languages the language menu offers: the written ones, and each language the studio alone recorded
(prompts/<lang>/_voice.yaml, `recorded_only`) once every prompt and known value of it is recorded.

Recordings are audio, so a recorded language is offered in play mode only (IVR_PROMPT_MODE=play); in say
mode Twilio's <Say> has no voice for it. The answer is worked out once per version of the recordings index,
which an import replaces whole: an import that completes a language offers it at every process's next call.
"""

from __future__ import annotations

import threading
from functools import partial

from ivr.audio.library import AudioLibrary
from ivr.audio.pieces import known_values, missing_recordings
from ivr.runtime import Runtime
from ivr.speech.catalog import LANGUAGES

_lock = threading.Lock()


def offered_languages(rt: Runtime) -> list[str]:
    """Return the languages callers may choose: the written ones, then each complete recorded language."""
    library = rt.extras.get("audio")
    if not rt.catalog.recorded or not isinstance(library, AudioLibrary):
        return list(LANGUAGES)
    recordings = library.recordings()
    with _lock:
        known = rt.extras.get("offered_languages")
        if known is not None and known[0] is recordings:
            return list(known[1])
    complete = [
        code
        for code in rt.catalog.recorded
        if not missing_recordings(rt.catalog, code, partial(library.recorded, recordings, code), known_values(rt))
    ]
    with _lock:
        rt.extras["offered_languages"] = (recordings, [*LANGUAGES, *complete])
    return [*LANGUAGES, *complete]


def language_of_key(rt: Runtime, key: str) -> str | None:
    """Return the recorded language a menu key chooses, when that language is offered; else None."""
    chosen = next((code for code, found in rt.catalog.recorded.items() if found.menu_key == key), None)
    return chosen if chosen is not None and chosen in offered_languages(rt) else None
