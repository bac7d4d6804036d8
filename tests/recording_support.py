"""Studio recordings for tests: generated tones stored in an audio library as the importer stores them."""

from __future__ import annotations

import hashlib
import math
from array import array
from pathlib import Path

from ivr.audio import recordings, wav


def tone(frequency: float, ms: int = 200, amplitude: int = 8000) -> array:
    """Return a sine tone's 8 kHz 16-bit samples."""
    count = wav.RATE * ms // 1000
    return array("h", (int(amplitude * math.sin(2 * math.pi * frequency * n / wav.RATE)) for n in range(count)))


def store_recording(folder: Path, samples: array) -> str:
    """Write samples as a recording of the library, named by its content; return its name."""
    data = wav.to_wav(samples)
    name = hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.wav").write_bytes(data)
    return name


def record(folder: Path, by_language: dict[str, dict[str, array]]) -> dict[str, dict[str, str]]:
    """Store recordings of keys per language and write the index (replacing it); return the names by key."""
    names = {
        language: {key: store_recording(folder, samples) for key, samples in keys.items()}
        for language, keys in by_language.items()
    }
    recordings.save(folder, recordings.Recordings(names))
    return names


def digit_tones() -> dict[str, array]:
    """Return a distinct tone for each recorded digit word, digit.0 to digit.9."""
    return {f"digit.{d}": tone(400 + 60 * d, ms=150) for d in range(10)}
