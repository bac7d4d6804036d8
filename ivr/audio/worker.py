"""Synthesis worker: pyttsx3 over espeak-ng in its own process, one JSON request a line.

Run as a script (`python ivr/audio/worker.py`), not as a module, so that it starts without importing the
whole ivr package. espeak-ng keeps process-wide state and pyttsx3's engine is not thread-safe: one process
doing one request at a time, which its parent can kill when it hangs, keeps the web process safe.

Request: {"text", "voice", "rate", "path"}; answer: {"ok": true} once `path` holds the telephone WAV of
the text (speech only, silences trimmed), or {"ok": false, "error": "..."}.
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import threading
import wave

import wav  # ivr/audio/wav.py: this script's folder is on sys.path

UTTERANCE_TIMEOUT = 20.0
ATTEMPTS = 3
READABLE = 0o644  # a rendered file: its owner writes it, every process of the server reads it


def synthesize(engine, finished: threading.Event, text: str, voice: str, rate: int) -> bytes:
    """Return the telephone WAV of a text."""
    engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)
    with tempfile.TemporaryDirectory() as scratch:
        raw = os.path.join(scratch, "speech.wav")
        finished.clear()
        engine.save_to_file(text, raw)
        engine.runAndWait()
        # pyttsx3's espeak driver returns from runAndWait once synthesis has started, not when the file
        # is written; its finished-utterance event comes after the file is saved.
        if not finished.wait(UTTERANCE_TIMEOUT):
            raise TimeoutError(f"no finished-utterance in {UTTERANCE_TIMEOUT} s")
        with wave.open(raw, "rb") as source:
            rate_in, frames = source.getframerate(), source.readframes(source.getnframes())
    return wav.to_wav(wav.trim(wav.resample(wav.from_little_endian(frames), rate_in)))


def synthesize_speech(engine, finished: threading.Event, request: dict) -> bytes:
    """Synthesize a request's text, again if the engine once handed back no sound (a rare race of it)."""
    for _ in range(ATTEMPTS):
        speech = synthesize(engine, finished, request["text"], request["voice"], request["rate"])
        with wave.open(io.BytesIO(speech), "rb") as result:
            if result.getnframes() or not any(character.isalnum() for character in request["text"]):
                return speech
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
    import pyttsx3

    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    sys.stdout = open(os.devnull, "w")  # pyttsx3 prints "Audio saved to ..." after each file
    engine = pyttsx3.init("espeak")
    finished = threading.Event()
    engine.connect("finished-utterance", lambda name, completed: finished.set())
    for line in sys.stdin:
        try:
            request = json.loads(line)
            write_atomically(request["path"], synthesize_speech(engine, finished, request))
            answer = {"ok": True}
        except Exception as error:  # reported to the parent, which decides
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
