"""Rendered prompt audio for tests: the real engine, the real catalog, rendered once per test run."""

from __future__ import annotations

import atexit
import io
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.audio.synthesis import unavailable_reason, voice_settings

ENGINE_MISSING = unavailable_reason(voice_settings())
needs_engine = pytest.mark.skipif(
    ENGINE_MISSING is not None, reason=f"no speech engine here ({ENGINE_MISSING}): apt-get install espeak-ng"
)
_rendered: dict[str, Path] = {}


@dataclass(frozen=True)
class Sound:
    """What the wave module reads in a WAV file."""

    rate: int
    channels: int
    sample_width: int
    seconds: float


def sound_of(data: bytes) -> Sound:
    with wave.open(io.BytesIO(data), "rb") as read:
        return Sound(
            read.getframerate(), read.getnchannels(), read.getsampwidth(), read.getnframes() / read.getframerate()
        )


def audio_folder() -> Path:
    """Return the folder the whole catalog is rendered into, once per test run."""
    if "folder" not in _rendered:
        _rendered["folder"] = Path(tempfile.mkdtemp(prefix="ivr-audio-"))
        atexit.register(shutil.rmtree, _rendered["folder"], True)
    return _rendered["folder"]


def rendered_catalog(app) -> Path:
    """Return audio_folder() holding the whole catalog, rendered with `prompts render` by the first caller."""
    if "rendered" not in _rendered:
        result = app.test_cli_runner().invoke(args=["prompts", "render", "--audio-dir", str(audio_folder())])
        assert result.exit_code == 0, result.output
        _rendered["rendered"] = audio_folder()
    return _rendered["rendered"]


def stop_audio(app) -> None:
    """Stop the engine worker of a play-mode app, if it started one."""
    library = app.extensions["ivr"].extras.get("audio")
    if library is not None:
        library.synthesizer.close()
