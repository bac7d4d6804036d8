"""Rendered audio on disk: one file per text and voice, named by a hash of what made it.

A file's name is a hash of its text, its voice settings, the engine's versions and the audio format, so
an unchanged prompt is never rendered twice, and a changed one gets a new name (caches never serve stale
audio). A prompt with values is played as a *composition*: the names of its pieces and pauses joined
by "-" (`<piece>-p150-<piece>`), put together when requested, from files every process has rendered.
Studio recordings (ivr/audio/recordings.py) are files of the same folder under names of the same form, so
a composition may join recorded and rendered pieces.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from pathlib import Path

from ivr.audio import wav
from ivr.audio.recordings import INDEX_FILE, Recordings, load
from ivr.audio.synthesis import SynthesisError, Synthesizer, VoiceSettings, engine_id

log = logging.getLogger(__name__)

AUDIO_FORMAT = (
    "wav 8000 Hz mono s16, trimmed; resampled by soxr (HQ) in floats, rounded; "
    "-20 LUFS, true peak under -1 dBFS, 10 ms fades (as studio recordings)"
)
PIECE = r"[0-9a-f]{16}"
PAUSE = r"p[0-9]{1,3}"  # under a second: a URL cannot ask for minutes of silence
COMPOSITION = re.compile(rf"(?:{PIECE}|{PAUSE})(?:-(?:{PIECE}|{PAUSE})){{0,79}}")
ON_DEMAND_WAIT = 0.3  # seconds a call step may wait for missing pieces before saying the prompt instead
# Far above the longest prompt (under a minute): a crafted URL cannot make a process hold minutes of audio.
MAX_COMPOSED_SECONDS = 180
MAX_COMPOSED_BYTES = MAX_COMPOSED_SECONDS * wav.RATE * wav.SAMPLE_WIDTH


@dataclass(frozen=True)
class Pause:
    """Silence between two pieces of a prompt."""

    ms: int


@dataclass(frozen=True)
class Recorded:
    """A piece of a prompt played from a studio recording of the library, by its file name."""

    name: str


class AudioLibrary:
    """The rendered pieces of one deployment: their names, their rendering, their compositions."""

    def __init__(self, directory: Path, voices: dict[str, VoiceSettings], synthesizer: Synthesizer | None):
        self.directory = Path(directory)
        self.voices = voices
        self.synthesizer = synthesizer
        self._background: ThreadPoolExecutor | None = None
        self._background_lock = threading.RLock()  # a finished job's callback may run while it is held
        self._rendering: dict[tuple[str, str], Future] = {}  # one job per text, however many calls need it
        self._index_lock = threading.Lock()
        self._index: tuple[tuple[int, int, int] | None, Recordings] = (None, Recordings())
        self._missing_recordings: set[str] = set()  # logged once each

    @property
    def engine(self) -> str:
        """Name the engine's versions, asked on first use: reading recordings needs no engine installed."""
        return engine_id()

    def name(self, language: str, text: str) -> str:
        """Return the file name (without .wav) of a text in a language's voice."""
        recipe = {"text": text, **self.voices[language].as_key(), "engine": self.engine, "format": AUDIO_FORMAT}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]

    def composition(self, language: str, pieces: list[str | Pause | Recorded]) -> str:
        """Return the composed name of pieces (rendered or recorded) and pauses."""
        return "-".join(
            f"p{p.ms}" if isinstance(p, Pause) else p.name if isinstance(p, Recorded) else self.name(language, p)
            for p in pieces
        )

    def recordings(self) -> Recordings:
        """Return the recordings index, read again whenever its file was replaced (one stat a call).

        An import writes a new index and renames it over the old one (a new inode), so a running process
        plays the new recordings at its next step, without restart.
        """
        try:
            found = (self.directory / INDEX_FILE).stat()
            version: tuple[int, int, int] | None = (found.st_mtime_ns, found.st_ino, found.st_size)
        except FileNotFoundError:
            version = None
        with self._index_lock:
            if version != self._index[0]:
                # Replaced again after the stat: the newer text is read under the older version, and read
                # once more at the next call, never the other way round.
                self._index = (version, load(self.directory) if version else Recordings())
            return self._index[1]

    def recorded(self, recordings: Recordings, language: str, key: str) -> Recorded | None:
        """Return the recording of a prompt (or stretch, or word) when indexed and its file is there, else None."""
        name = recordings.name(language, key)
        if name is None:
            return None
        if self.path(name).is_file():
            return Recorded(name)
        if name not in self._missing_recordings:
            self._missing_recordings.add(name)
            log.warning("audio: recording %s of %s (%s) is indexed but missing; synthesis instead", name, key, language)
        return None

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.wav"

    def has(self, language: str, text: str) -> bool:
        return self.path(self.name(language, text)).exists()

    def render(self, language: str, text: str) -> bool:
        """Render a text unless its file exists; tell whether it was rendered now."""
        path = self.path(self.name(language, text))
        if path.exists():
            return False
        if self.synthesizer is None:
            raise SynthesisError("this library has no speech engine to render with")
        self.synthesizer.render(text, self.voices[language], path)
        return True

    def ready(self, language: str, texts: list[str], wait: float = ON_DEMAND_WAIT) -> bool:
        """Tell whether every text is rendered, rendering missing ones in the background for up to wait s."""
        missing = [text for text in dict.fromkeys(texts) if not self.has(language, text)]
        if not missing:
            return True
        done, waiting = wait_for([self._render_later(language, text) for text in missing], timeout=wait)
        if waiting:
            log.info("audio: %d piece(s) still rendering; said with <Say> this time", len(waiting))
            return False
        failures = [job.exception() for job in done if job.exception() is not None]
        if failures:
            log.warning("audio: rendering failed (%s); said with <Say>", failures[0])
            return False
        return True

    def playable(self, name: str) -> bool:
        """Tell whether /audio/ serves a composed name: well formed, every piece there, not too long."""
        size = composed_size(self.directory, name)
        return size is not None and size <= MAX_COMPOSED_BYTES

    def close(self) -> None:
        """Wait for the texts being rendered, then stop the engine's worker."""
        with self._background_lock:
            background, self._background = self._background, None
        if background is not None:
            background.shutdown(wait=True)
        if self.synthesizer is not None:
            self.synthesizer.close()

    def warm_up(self) -> None:
        """Start the engine's worker ahead of the first text rendered on demand."""
        if self.synthesizer is not None:
            self.synthesizer.start()

    def _render_later(self, language: str, text: str) -> Future:
        """Return the job rendering a text, the one already under way if another call asked first."""
        with self._background_lock:  # created on first use: a server may fork after building the app
            if self._background is None:
                self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audio-render")
            job = self._rendering.get((language, text))
            if job is None:
                job = self._background.submit(self.render, language, text)
                self._rendering[(language, text)] = job
                job.add_done_callback(lambda _: self._forget(language, text))
            return job

    def _forget(self, language: str, text: str) -> None:
        with self._background_lock:
            self._rendering.pop((language, text), None)


def composed_size(directory: Path, name: str) -> int | None:
    """Return about how many bytes of audio a composed name joins, or None when it is malformed or a piece missing."""
    if not COMPOSITION.fullmatch(name):
        return None
    total = 0
    for token in name.split("-"):
        if token.startswith("p"):
            total += len(wav.silence(int(token[1:]))) * wav.SAMPLE_WIDTH
            continue
        try:
            total += (Path(directory) / f"{token}.wav").stat().st_size
        except OSError:
            return None
    return total


def sweep_leftovers(directory: Path, older_than: float = 3600.0) -> int:
    """Remove the partial files of renders that died long ago; return how many were removed."""
    removed, limit = 0, time.time() - older_than
    for path in Path(directory).glob("*.part"):
        try:
            if path.stat().st_mtime < limit:  # a younger one may be a render in progress elsewhere
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass  # another process swept it first
    return removed


def compose(directory: Path, name: str) -> bytes | None:
    """Return the WAV of a composed name, or None when it is malformed, a piece is missing or it is too long."""
    size = composed_size(directory, name)
    if size is None or size > MAX_COMPOSED_BYTES:
        return None
    samples = wav.silence(0)
    for token in name.split("-"):
        if token.startswith("p"):
            samples.extend(wav.silence(int(token[1:])))
            continue
        path = Path(directory) / f"{token}.wav"
        if not path.is_file():
            return None
        samples.extend(wav.read_wav(path.read_bytes()))
    return wav.to_wav(samples)
