"""Turn what a simulated caller heard into one WAV file a tester can listen to."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

from ivr.audio import concatenate, synthesize, wav
from ivr.simulator.caller import SimulatedCaller, Turn, Utterance
from ivr.speech.catalog import Catalog

GAP_MS = 250  # between two things heard in one turn
TURN_GAP_MS = 600  # between the caller's action and what follows
BEEP_MS, BEEP_GAP_MS, BEEP_HZ = 90, 60, 1000


class ListeningError(Exception):
    """A played recording could not be fetched, or a text could not be spoken."""


def call_audio(caller: SimulatedCaller, catalog: Catalog) -> bytes:
    """Return the call as one telephone WAV: what was played or said, and a beep per key pressed."""
    languages = {voice.language: language for language, voice in catalog.voices.items()}
    pieces: list[bytes] = []
    for turn in caller.turns:
        pieces.extend(_keys_pressed(turn))
        for utterance in turn.heard:
            pieces.append(_heard(caller, utterance, languages))
            pieces.append(_silence(GAP_MS))
        pieces.append(_silence(TURN_GAP_MS))
    return concatenate(pieces)


def write_call_audio(caller: SimulatedCaller, catalog: Catalog, path: Path) -> float:
    """Write the call's audio to path; return its duration in seconds."""
    audio = call_audio(caller, catalog)
    path.write_bytes(audio)
    return len(wav.read_wav(audio)) / wav.RATE


def _heard(caller: SimulatedCaller, utterance: Utterance, languages: dict[str, str]) -> bytes:
    if utterance.url is not None:
        # Twilio fetches <Play> media with an unsigned GET, as any HTTP client would.
        response = caller.transport.send("GET", caller.url(utterance.url), {}, {})
        if response.status_code != 200:
            raise ListeningError(f"<Play> {utterance.url} answered {response.status_code}")
        return response.content
    language = languages.get(utterance.language or "", next(iter(languages.values())))
    try:
        return synthesize(utterance.text or "", language)
    except Exception as error:  # the engine's own errors vary: report which text failed
        raise ListeningError(f"could not speak {utterance.text!r} in {language}: {error}") from error


def _keys_pressed(turn: Turn) -> list[bytes]:
    # The same beep for every key: the file tells when keys were pressed, never which (they may be a CIN).
    if not turn.action.startswith("press "):
        return []
    count = len(turn.action.removeprefix("press "))
    return [_beep(), _silence(BEEP_GAP_MS)] * count + [_silence(GAP_MS)]


def _beep() -> bytes:
    frames = wav.RATE * BEEP_MS // 1000
    return wav.to_wav(array("h", (int(8000 * math.sin(2 * math.pi * BEEP_HZ * i / wav.RATE)) for i in range(frames))))


def _silence(ms: int) -> bytes:
    return wav.to_wav(wav.silence(ms))
