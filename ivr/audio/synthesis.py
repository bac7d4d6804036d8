"""The speech engine: pyttsx3 over espeak-ng, driven in a worker process; and whether it can run here."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from ivr.settings import PROJECT_DIR
from ivr.speech.catalog import LANGUAGES, META_FILE, PROMPTS_DIR
from ivr.yamlfiles import read_yaml

WORKER = "ivr.audio.worker"
RENDER_TIMEOUT = 30.0  # seconds for one text; a worker that takes longer is killed
PYTTSX3_WAV_RATE = 22050  # the rate pyttsx3's espeak driver writes in every WAV header, whatever the voice


class SynthesisError(Exception):
    """The engine could not render a text."""


@dataclass(frozen=True)
class VoiceSettings:
    """How the engine speaks one language: the espeak-ng voice and its words a minute."""

    voice: str
    rate: int

    def as_key(self) -> dict[str, object]:
        return {"voice": self.voice, "rate": self.rate}


def voice_settings(directory: Path = PROMPTS_DIR) -> dict[str, VoiceSettings]:
    """Return each language's engine voice, from prompts/<lang>/_voice.yaml."""
    found: dict[str, VoiceSettings] = {}
    for language in LANGUAGES:
        meta = cast("dict[str, Any]", read_yaml(directory / language / META_FILE))  # the voice's settings
        found[language] = VoiceSettings(voice=str(meta["audio_voice"]), rate=int(meta["audio_rate"]))
    return found


def unavailable_reason(voices: dict[str, VoiceSettings]) -> str | None:
    """Say why audio cannot be rendered here (espeak-ng, pyttsx3 or a voice missing), or None."""
    if shutil.which("espeak-ng") is None:
        return "espeak-ng is not installed"
    try:
        metadata.version("pyttsx3")
    except metadata.PackageNotFoundError:
        return "pyttsx3 is not installed"
    for language, settings in voices.items():
        probe = subprocess.run(["espeak-ng", "-v", settings.voice, "--stdout", "1"], capture_output=True, timeout=10)
        if probe.returncode != 0:
            return f"espeak-ng has no voice {settings.voice!r} (for {language})"
        rate = int.from_bytes(probe.stdout[24:28], "little")  # a WAV header's sample rate
        if rate != PYTTSX3_WAV_RATE:  # e.g. an MBROLA voice: pyttsx3 would label its audio at the wrong speed
            return f"espeak-ng speaks voice {settings.voice!r} (for {language}) at {rate} Hz, not {PYTTSX3_WAV_RATE}"
    return None


@lru_cache(maxsize=1)
def engine_id() -> str:
    """Name the engine and its versions: part of every rendered file's name, so an upgrade re-renders."""
    espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=10).stdout
    return (
        f"pyttsx3 {metadata.version('pyttsx3')}; soxr {metadata.version('soxr')}; {espeak.split('Data at')[0].strip()}"
    )


class Synthesizer:
    """One worker process, one request at a time; restarted after a failure or a hang."""

    def __init__(self, timeout: float = RENDER_TIMEOUT) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._owner = os.getpid()

    def render(self, text: str, voice: VoiceSettings, path: Path) -> None:
        """Write the telephone WAV of a text to path; raise SynthesisError if the engine fails."""
        request = json.dumps({"text": text, "voice": voice.voice, "rate": voice.rate, "path": str(path)})
        with self._lock:
            process = self._worker()
            requests, answers = process.stdin, process.stdout
            assert requests is not None and answers is not None  # the worker is started with both pipes
            try:
                requests.write(request + "\n")
                requests.flush()
                ready, _, _ = select.select([answers], [], [], self.timeout)
                line = answers.readline() if ready else ""
            except OSError as error:
                line = ""
                reason = f"worker unreachable ({error})"
            else:
                reason = "worker died" if ready else f"no answer in {self.timeout:.0f} s"
            if not line:
                self._stop()
                raise SynthesisError(reason)
        answer = json.loads(line)
        if not answer["ok"]:
            raise SynthesisError(answer["error"])

    def start(self) -> None:
        """Start the worker now, so that the first text rendered on demand does not wait for it."""
        if self._lock.acquire(blocking=False):  # busy: the worker is running already
            try:
                self._worker()
            finally:
                self._lock.release()

    def close(self) -> None:
        """Stop the worker."""
        with self._lock:
            self._stop()

    def _worker(self) -> subprocess.Popen[str]:
        if self._owner != os.getpid():  # forked: the worker's pipes belong to the parent process
            self._process, self._owner = None, os.getpid()
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                env=worker_environment(),
            )
        return self._process

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.communicate()  # reaps it and closes its pipes
            self._process = None


def worker_environment() -> dict[str, str]:
    """Return the environment of a worker: this one, with the project importable from any folder."""
    paths = [str(PROJECT_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
