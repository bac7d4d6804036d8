"""Synthesis worker: espeak-ng through pyttsx3's public API, in its own process, one JSON request a line.

Run as `python -m ivr.audio.worker` (importing ivr builds nothing, so it starts quickly). espeak-ng keeps
process-wide state and is not thread-safe: one process doing one request at a time, which its parent can
kill when it hangs, keeps the web process safe.

pyttsx3's espeak driver (2.99), as it behaves, and what this worker does about it:
- `save_to_file` writes a mono 16-bit WAV labelled 22 050 Hz, espeak-ng's rate for its own voices
  (engine.py refuses a voice spoken at another rate); wav.py resamples it to 8 kHz.
- espeak-ng synthesizes on a thread of its own: `runAndWait` may return before the file is written, which
  is complete when the engine notifies `finished-utterance`.
- `runAndWait` cancels espeak-ng if its thread is still busy (taking a new rate, say), and a cancel puts
  the rate back as it was: a rate is set only when it changes, and waited for; a text whose synthesis was
  cancelled (notified as not completed) or that ends at another rate is synthesized again.
- A voice it cannot set is only notified as an `error` (and the previous voice would speak).
- Until a first `runAndWait`, pyttsx3 only queues what it is told: one is run when the worker starts.

Request: {"text", "voice", "rate", "path"}; answer: {"ok": true} once `path` holds the telephone WAV of
the text (speech only, silences trimmed), or {"ok": false, "error": "..."}.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from typing import Any

import pyttsx3

from ivr.audio import wav

ATTEMPTS = 3
RATE_WAIT = 2.0  # seconds for espeak-ng's thread to take a new rate


class SpeechError(Exception):
    """The engine reported a failure."""


class Speech:
    """pyttsx3's espeak-ng engine: a text in, a WAV file at espeak-ng's own rate out."""

    def __init__(self) -> None:
        self._engine = pyttsx3.init("espeak")
        self._finished = threading.Event()
        self._completed = False
        self._errors: list[Exception] = []
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)
        self._engine.runAndWait()  # until a first run, pyttsx3 only queues what it is told

    def _on_finished(self, name: str | None, completed: bool) -> None:  # called on espeak-ng's thread
        self._completed = completed
        self._finished.set()

    def _on_error(self, name: str | None, exception: Exception) -> None:
        self._errors.append(exception)

    def save(self, text: str, voice: str, rate: int, path: str) -> None:
        """Write the WAV of a text spoken by a voice at a rate in words a minute to path."""
        for _ in range(ATTEMPTS):
            self._errors.clear()
            self._engine.setProperty("voice", voice)
            self._set_rate(rate)
            if self._errors:
                raise SpeechError(str(self._errors[0]))
            if self._synthesize(text, path) and self._engine.getProperty("rate") == rate:
                return
        raise SpeechError(f"espeak-ng was cancelled or changed its rate {ATTEMPTS} times")

    def _set_rate(self, rate: int) -> None:
        if self._engine.getProperty("rate") == rate:
            return
        self._engine.setProperty("rate", rate)
        deadline = time.monotonic() + RATE_WAIT
        while self._engine.getProperty("rate") != rate and time.monotonic() < deadline:
            time.sleep(0.001)

    def _synthesize(self, text: str, path: str) -> bool:
        """Write the WAV of a text to path in the current voice; tell whether espeak-ng completed it."""
        self._finished.clear()
        self._engine.save_to_file(text, path)
        try:
            self._engine.runAndWait()
        except Exception:
            with contextlib.suppress(RuntimeError):  # not in its loop any more
                self._engine.endLoop()  # else every later runAndWait says its loop is running
            raise
        self._finished.wait()  # a worker that hangs here is killed by its parent
        if self._errors:
            raise SpeechError(str(self._errors[0]))
        return self._completed


def synthesize_speech(speech: Speech, request: dict[str, Any], scratch: str) -> bytes:
    """Synthesize a request's text, again if the engine once handed back no sound."""
    if not request["text"].strip():
        return wav.to_wav(wav.silence(0))
    for _ in range(ATTEMPTS):
        speech.save(request["text"], request["voice"], request["rate"], scratch)
        with open(scratch, "rb") as heard:
            samples = wav.levelled(wav.trim(wav.read_wav(heard.read())))
        if samples or not any(character.isalnum() for character in request["text"]):
            return wav.to_wav(samples)
    raise RuntimeError(f"no sound after {ATTEMPTS} attempts")


def render(speech: Speech, request: dict[str, Any]) -> None:
    """Write the telephone WAV of a request's text at its path, through a scratch file beside it."""
    folder = os.path.dirname(request["path"]) or "."
    os.makedirs(folder, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=folder, suffix=".part")  # `prompts render` sweeps old ones
    os.close(handle)
    try:
        wav.write_atomically(request["path"], synthesize_speech(speech, request, scratch))
    finally:
        os.unlink(scratch)


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    # Nothing the engine prints ("Audio saved to") may mix with the answers; open while the process lives.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    speech = Speech()
    wav.resampler()  # numpy and soxr loaded now, not while the first text waits
    wav.loudness_meter()  # pyloudnorm and scipy too (half a second: longer than a step waits for a piece)
    for line in sys.stdin:
        try:
            render(speech, json.loads(line))
            answer: dict[str, object] = {"ok": True}
        except Exception as error:  # reported to the parent, which decides
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
