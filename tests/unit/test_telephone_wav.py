"""Telephone WAV: 8 kHz mono 16-bit, whatever comes in; silences trimmed; compositions checked."""

import io
import math
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import numpy as np
import pytest

from ivr.audio import concatenate, wav
from ivr.audio.library import compose
from tests.audio_support import sound_of


def tone(rate: int, seconds: float, channels: int = 1, width: int = 2, hertz: int = 440) -> bytes:
    """Return a WAV of a sine tone in any PCM format (8-bit WAV is unsigned, wider ones signed)."""
    frames = io.BytesIO()
    for n in range(int(rate * seconds)):
        sample = int(12000 * math.sin(2 * math.pi * hertz * n / rate))
        encoded = (
            ((sample + 32768) >> 8).to_bytes(1, "little")
            if width == 1
            else (sample << 8 * (width - 2)).to_bytes(width, "little", signed=True)
        )
        frames.write(encoded * channels)
    out = io.BytesIO()
    with wave.open(out, "wb") as written:
        written.setnchannels(channels)
        written.setsampwidth(width)
        written.setframerate(rate)
        written.writeframes(frames.getvalue())
    return out.getvalue()


def test_espeak_rate_audio_becomes_8_khz_mono_16_bit_of_the_same_length():
    sound = sound_of(wav.to_wav(wav.read_wav(tone(22050, 1.5))))
    assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2)
    assert abs(sound.seconds - 1.5) < 0.01


def test_resampling_keeps_a_speech_band_tone_and_drops_one_above_4_khz():
    def loudness(hertz: int) -> float:
        samples = wav.read_wav(tone(22050, 0.5, hertz=hertz))[400:-400]
        return math.sqrt(sum(s * s for s in samples) / len(samples))

    assert loudness(1000) > 7000  # 12000 peak: about 8500 RMS
    assert loudness(7000) < 1000  # would alias to 1000 Hz without the low-pass filter


def test_concatenate_joins_wavs_of_any_pcm_format_in_order():
    parts = [tone(8000, 0.5), tone(16000, 0.25, channels=2), tone(44100, 0.25, width=1), tone(22050, 0.5, width=3)]
    sound = sound_of(concatenate(parts))
    assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2)
    assert abs(sound.seconds - 1.5) < 0.01


def test_trim_cuts_silence_at_both_ends_but_keeps_a_short_margin():
    speech = wav.read_wav(tone(8000, 0.5))
    padded = wav.silence(300) + speech + wav.silence(700)
    trimmed = wav.trim(padded)
    margin = 8000 * wav.TRIM_MARGIN_MS // 1000
    assert len(speech) <= len(trimmed) <= len(speech) + 2 * margin
    assert wav.trim(wav.silence(200)) == array("h")


def test_a_composition_joins_pieces_and_pauses(tmp_path):
    (tmp_path / "0123456789abcdef.wav").write_bytes(wav.to_wav(wav.read_wav(tone(8000, 0.5))))
    sound = sound_of(compose(tmp_path, "0123456789abcdef-p250-0123456789abcdef-p400"))
    assert abs(sound.seconds - 1.65) < 0.01


def test_a_composition_refuses_paths_unknown_pieces_and_long_silences(tmp_path):
    (tmp_path / "0123456789abcdef.wav").write_bytes(wav.to_wav(wav.silence(100)))
    (tmp_path / "secret.wav").write_bytes(wav.to_wav(wav.silence(100)))
    for name in (
        "../0123456789abcdef",
        "secret",
        "0123456789ABCDEF",
        "fedcba9876543210",
        "p5000",
        "0123456789abcdef/../secret",
        "0123456789abcdef-",
        "-".join(["p999"] * 81),
    ):
        assert compose(tmp_path, name) is None, name


def test_a_composition_longer_than_three_minutes_is_refused_however_few_its_pieces(tmp_path):
    (tmp_path / "0123456789abcdef.wav").write_bytes(wav.to_wav(wav.silence(5000)))
    assert sound_of(compose(tmp_path, "-".join(["0123456789abcdef"] * 30))).seconds == 150
    assert compose(tmp_path, "-".join(["0123456789abcdef"] * 40)) is None


def test_trim_keeps_every_sample_from_the_first_to_the_last_one_louder_than_the_threshold():
    margin = wav.silence(wav.TRIM_MARGIN_MS)
    quiet = array("h", [0, 299, -300, 256, -257] * 400)
    speech = array("h", [301, 0, 0, -12000, 40, -301])
    assert wav.trim(quiet + speech + quiet) == quiet[-len(margin) :] + speech + quiet[: len(margin)]
    assert wav.trim(quiet) == array("h")


def level_after_resampling_db(hertz: int, rate: int = 22050) -> float:
    """Return how much louder (dB, negative: quieter) a sine tone is at 8 kHz than at rate, in RMS."""
    n = np.arange(rate)  # one second
    heard = np.rint(12000 * np.sin(2 * np.pi * hertz * n / rate)).astype(np.int16)
    resampled = np.frombuffer(wav.resample(array("h", heard.tobytes()), rate), dtype=np.int16)
    assert len(resampled) == wav.RATE
    edge = wav.RATE // 10  # the filter's start and end are not a steady tone

    def rms(samples: np.ndarray) -> float:
        return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))

    return 20 * math.log10(max(rms(resampled[edge:-edge]), 1e-3) / rms(heard))


@pytest.mark.parametrize("hertz", [300, 1000, 2000, 3000, 3400])
def test_resampling_keeps_the_telephone_band_up_to_3_4_khz_within_1_db(hertz):
    assert abs(level_after_resampling_db(hertz)) < 1.0


@pytest.mark.parametrize("hertz", [4400, 4600, 5000, 7000])
def test_resampling_removes_tones_above_4_khz_that_would_fold_back_into_the_band(hertz):
    assert level_after_resampling_db(hertz) <= -60  # a 4.6 kHz tone would be heard at 3.4 kHz


@pytest.mark.parametrize("rate", [16000, 44100, 48000, 11025])
def test_resampling_from_other_rates_keeps_speech_and_removes_what_is_above_4_khz(rate):
    assert abs(level_after_resampling_db(1000, rate)) < 1.0
    assert level_after_resampling_db(5000, rate) <= -60


def test_resampled_silence_stays_exactly_silent():
    assert wav.resample(array("h", bytes(2 * 22050)), 22050) == array("h", bytes(2 * 8000))


def test_input_too_loud_for_the_filter_is_clipped_never_wrapped_around():
    square = array("h", (32767 if (n // 20) % 2 else -32768 for n in range(22050)))
    resampled = wav.resample(square, 22050)
    assert max(resampled) == 32767 and min(resampled) == -32768  # the filter's overshoot, clipped
    middle = [(square[round(i * 22050 / 8000)], value) for i, value in enumerate(resampled)][100:-100]
    assert all((heard > 0) == (value > 0) for heard, value in middle if abs(value) > 16000)


def test_a_web_process_joins_8_khz_audio_without_loading_numpy_or_soxr(tmp_path):
    (tmp_path / "0123456789abcdef.wav").write_bytes(wav.to_wav(wav.read_wav(tone(8000, 0.5))))
    check = (
        "import sys\nfrom pathlib import Path\nfrom ivr.factory import create_app\n"
        "from ivr.audio.library import compose\n"
        f"assert compose(Path({str(tmp_path)!r}), '0123456789abcdef-p250-0123456789abcdef')\n"
        "print(sorted({'numpy', 'soxr'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
        timeout=120,
    )
    assert loaded.stdout.strip() == "[]"  # about 20 MiB a process, for nothing
