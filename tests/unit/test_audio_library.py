"""The audio library renders each missing text once, however many calls need it, and writes readable files."""

import os
import stat
import threading
import time

import pytest

from ivr.audio import library as library_module
from ivr.audio import wav
from ivr.audio.library import AudioLibrary, sweep_leftovers
from ivr.audio.synthesis import SynthesisError, voice_settings


class DyingEngine:
    """An engine that hangs until released, then fails, as espeak-ng dying in the middle of a call."""

    def __init__(self):
        self.released = threading.Event()
        self.renders = 0

    def render(self, text, voice, path):
        self.renders += 1
        self.released.wait()
        raise SynthesisError("worker died")

    def close(self):
        pass


@pytest.fixture
def dying_library(tmp_path, monkeypatch):
    monkeypatch.setattr(library_module, "engine_id", lambda: "test engine")
    engine = DyingEngine()
    library = AudioLibrary(tmp_path, voice_settings(), engine)
    yield library, engine
    engine.released.set()
    library.close()


def test_many_calls_waiting_for_the_same_missing_text_start_one_rendering(dying_library):
    library, engine = dying_library
    for _ in range(5):
        assert not library.ready("fr", ["Bonjour", "Au revoir"], wait=0)
    engine.released.set()
    library.close()
    assert engine.renders == 2


def test_a_text_the_engine_failed_to_render_is_said_and_rendered_again_at_the_next_need(dying_library):
    library, engine = dying_library
    engine.released.set()
    assert not library.ready("fr", ["Bonjour"], wait=30)
    assert not library.ready("fr", ["Bonjour"], wait=30)
    assert engine.renders == 2


def test_audio_files_are_written_whole_and_readable_by_every_user_of_the_server(tmp_path):
    target = tmp_path / "0123456789abcdef.wav"
    wav.write_atomically(str(target), b"RIFF")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [path.name for path in tmp_path.iterdir()] == [target.name]


def test_partial_files_of_renders_that_died_long_ago_are_swept_and_recent_ones_kept(tmp_path):
    old, recent, audio = tmp_path / "a1b2.part", tmp_path / "c3d4.part", tmp_path / "0123456789abcdef.wav"
    for path in (old, recent, audio):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(audio, (two_hours_ago, two_hours_ago))

    assert sweep_leftovers(tmp_path) == 1
    assert not old.exists() and recent.exists() and audio.exists()
