"""The engine worker renders through pyttsx3's save_to_file whatever order texts, voices and rates come in."""

import subprocess

import pytest

from ivr.audio import wav
from ivr.audio.synthesis import Synthesizer, VoiceSettings, unavailable_reason
from tests.audio_support import needs_engine, sound_of

pytestmark = needs_engine

LONG_FRENCH = "Bonjour, et bienvenue à la Caisse nationale de sécurité sociale. " * 10
ARABIC = "مرحبا بكم في الصندوق الوطني للضمان الاجتماعي"


def espeak_ng_seconds(text: str, voice: str, rate: int) -> float:
    """Return how long espeak-ng's own command speaks a text, silences trimmed, at 8 kHz."""
    spoken = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text], capture_output=True, check=True, timeout=60
    ).stdout
    return len(wav.trim(wav.read_wav(spoken))) / wav.RATE


@pytest.fixture
def synthesizer():
    synthesizer = Synthesizer()
    yield synthesizer
    synthesizer.close()


def test_a_long_text_is_rendered_whole_though_pyttsx3_returns_before_espeak_ng_has_finished(synthesizer, tmp_path):
    synthesizer.render(LONG_FRENCH, VoiceSettings("fr", 150), tmp_path / "long.wav")
    sound = sound_of((tmp_path / "long.wav").read_bytes())
    assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2)
    assert sound.seconds == pytest.approx(espeak_ng_seconds(LONG_FRENCH, "fr", 150), abs=0.05)
    assert sound.seconds > 30
    assert not list(tmp_path.glob("*.part"))  # pyttsx3's 22 050 Hz scratch file is gone


def test_each_text_is_spoken_in_its_own_voice_and_rate_when_they_change_from_one_text_to_the_next(
    synthesizer, tmp_path
):
    requests = [
        ("fr", 150, "Un, deux, trois, quatre."),
        ("ar", 150, ARABIC),
        ("fr", 90, "Un, deux, trois, quatre."),
        ("ar", 200, ARABIC),
        ("fr", 150, "Un, deux, trois, quatre."),
        ("ar", 150, ARABIC),
    ]
    for index, (voice, rate, text) in enumerate(requests):
        synthesizer.render(text, VoiceSettings(voice, rate), tmp_path / f"{index}.wav")
    for index, (voice, rate, text) in enumerate(requests):
        seconds = sound_of((tmp_path / f"{index}.wav").read_bytes()).seconds
        # espeak-ng speaks a text a few % longer after another text than first in a process, as its command does.
        assert seconds == pytest.approx(espeak_ng_seconds(text, voice, rate), rel=0.08), (voice, rate)
    slow, usual = (sound_of((tmp_path / f"{index}.wav").read_bytes()).seconds for index in (2, 4))
    assert slow > 1.3 * usual  # 90 words a minute, not 150


def test_a_text_without_words_is_rendered_as_an_empty_telephone_wav(synthesizer, tmp_path):
    synthesizer.render(" ", VoiceSettings("fr", 150), tmp_path / "blank.wav")
    sound = sound_of((tmp_path / "blank.wav").read_bytes())
    assert (sound.rate, sound.channels, sound.sample_width, sound.seconds) == (8000, 1, 2, 0)


def test_a_voice_espeak_ng_speaks_at_another_rate_than_pyttsx3_labels_its_files_is_refused(monkeypatch):
    assert unavailable_reason({"fr": VoiceSettings("fr", 150)}) is None
    spoken_by_espeak_ng = subprocess.run

    def as_an_mbrola_voice(args, **kwargs):  # MBROLA voices speak at 16 kHz
        done = spoken_by_espeak_ng(args, **kwargs)
        if "--stdout" in args:
            done.stdout = done.stdout[:24] + (16000).to_bytes(4, "little") + done.stdout[28:]
        return done

    monkeypatch.setattr(subprocess, "run", as_an_mbrola_voice)
    reason = unavailable_reason({"fr": VoiceSettings("fr", 150)})
    assert reason == "espeak-ng speaks voice 'fr' (for fr) at 16000 Hz, not 22050"
