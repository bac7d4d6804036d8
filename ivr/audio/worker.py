"""Synthesis worker: espeak-ng through pyttsx3's binding of it, in its own process, one JSON request a line.

Run as a script (`python ivr/audio/worker.py`), not as a module, so that it starts without importing the
whole ivr package. espeak-ng keeps process-wide state and is not thread-safe: one process doing one
request at a time, which its parent can kill when it hangs, keeps the web process safe.

espeak-ng runs in its synchronous mode (the call returns with all the sound): pyttsx3's engine drives it
asynchronously and polls every 10 ms, which left the worker idle for about 15 ms of each text, more than
the synthesis itself.

Request: {"text", "voice", "rate", "path"}; answer: {"ok": true} once `path` holds the telephone WAV of
the text (speech only, silences trimmed), or {"ok": false, "error": "..."}.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
import tempfile
from array import array

import wav  # ivr/audio/wav.py: this script's folder is on sys.path

ATTEMPTS = 3
READABLE = 0o644  # a rendered file: its owner writes it, every process of the server reads it


class Speech:
    """espeak-ng in synchronous mode: text in, 16-bit samples at its own rate out."""

    def __init__(self):
        from pyttsx3.drivers import _espeak  # pyttsx3's ctypes binding; it finds the library on each system

        self._espeak = _espeak
        self.rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000)
        if self.rate == -1:
            raise RuntimeError("espeak-ng could not start")
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._heard)

    def _heard(self, samples, count, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # go on

    def samples(self, text: str, voice: str, rate: int) -> array:
        """Return the samples of a text spoken by a voice at a rate in words a minute."""
        if self._espeak.SetVoiceByName(voice.encode()) != self._espeak.EE_OK:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self._espeak.SetParameter(self._espeak.RATE, rate, 0)
        self._chunks.clear()
        if self._espeak.Synth(text, flags=self._espeak.ENDPAUSE | self._espeak.CHARS_UTF8) != self._espeak.EE_OK:
            raise RuntimeError("espeak-ng refused the text")
        return array("h", b"".join(self._chunks))  # the machine's byte order, as an array's


def synthesize_speech(speech: Speech, request: dict) -> bytes:
    """Synthesize a request's text, again if the engine once handed back no sound."""
    for _ in range(ATTEMPTS):
        samples = wav.trim(wav.resample(speech.samples(request["text"], request["voice"], request["rate"]),
                                        speech.rate))
        if samples or not any(character.isalnum() for character in request["text"]):
            return wav.to_wav(samples)
    raise RuntimeError(f"no sound after {ATTEMPTS} attempts")


def write_atomically(path: str, data: bytes) -> None:
    """Write a file under a temporary name, then rename it: readers never see half a file."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # mkstemp makes the file private: the server may run as another user than `prompts render`.
        os.chmod(temporary, READABLE)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    sys.stdout = open(os.devnull, "w")  # nothing the engine prints may mix with the answers
    speech = Speech()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            write_atomically(request["path"], synthesize_speech(speech, request))
            answer = {"ok": True}
        except Exception as error:  # reported to the parent, which decides
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
