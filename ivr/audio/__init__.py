"""Prompts as telephone audio: synthesis, the rendered library, and how prompts become <Play> URLs."""

from __future__ import annotations

import atexit
import tempfile
from functools import lru_cache
from pathlib import Path

from ivr.audio import wav
from ivr.audio.synthesis import Synthesizer, voice_settings

__all__ = ["concatenate", "synthesize"]


def synthesize(text: str, language: str) -> bytes:
    """Return the telephone WAV (8 kHz mono 16-bit PCM) of a text, spoken in a language's voice."""
    return _synthesized(text, language)


def concatenate(wavs: list[bytes]) -> bytes:
    """Return one telephone WAV of several WAVs in order (other PCM formats are converted)."""
    return wav.concatenate(wavs)


@lru_cache(maxsize=256)
def _synthesized(text: str, language: str) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "speech.wav"
        _shared_synthesizer().render(text, voice_settings()[language], path)
        return path.read_bytes()


@lru_cache(maxsize=1)
def _shared_synthesizer() -> Synthesizer:
    synthesizer = Synthesizer()
    atexit.register(synthesizer.close)
    return synthesizer
