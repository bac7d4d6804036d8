"""Telephone WAV: 8 kHz mono 16-bit, whatever comes in; silences trimmed; compositions checked."""
import io
import math
import random
import wave
from array import array

from ivr.audio import concatenate, wav
from ivr.audio.library import compose
from tests.audio_support import sound_of


def tone(rate: int, seconds: float, channels: int = 1, width: int = 2, hertz: int = 440) -> bytes:
    """Return a WAV of a sine tone in any PCM format (8-bit WAV is unsigned, wider ones signed)."""
    frames = io.BytesIO()
    for n in range(int(rate * seconds)):
        sample = int(12000 * math.sin(2 * math.pi * hertz * n / rate))
        encoded = ((sample + 32768) >> 8).to_bytes(1, "little") if width == 1 else \
            (sample << 8 * (width - 2)).to_bytes(width, "little", signed=True)
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
    for name in ("../0123456789abcdef", "secret", "0123456789ABCDEF", "fedcba9876543210", "p5000",
                 "0123456789abcdef/../secret", "0123456789abcdef-", "-".join(["p999"] * 81)):
        assert compose(tmp_path, name) is None, name


def test_a_composition_longer_than_three_minutes_is_refused_however_few_its_pieces(tmp_path):
    (tmp_path / "0123456789abcdef.wav").write_bytes(wav.to_wav(wav.silence(5000)))
    assert sound_of(compose(tmp_path, "-".join(["0123456789abcdef"] * 30))).seconds == 150
    assert compose(tmp_path, "-".join(["0123456789abcdef"] * 40)) is None


def plain_resample(samples: array, rate: int) -> list[int]:
    """Resample as the windowed-sinc filter is written: one output sample at a time, in floats."""
    step = math.gcd(rate, wav.RATE)
    up, down = wav.RATE // step, rate // step
    kernels, side = wav.polyphase_kernels(up, down), wav.TAPS_EACH_SIDE
    padded = [0] * side + list(samples) + [0] * side
    out = []
    for n in range(len(samples) * up // down):
        i, phase = divmod(n * down, up)
        value = math.floor(sum(k * x for k, x in zip(kernels[phase], padded[i + 1:i + 1 + 2 * side])) + 0.5)
        out.append(min(32767, max(-32768, value)))
    return out


def test_resampling_gives_the_plain_filter_s_samples_within_one_step_at_every_rate():
    noise = random.Random(3)
    for rate in (22050, 44100, 16000, 11025, 48000):
        samples = array("h", (noise.randrange(-20000, 20000) for _ in range(rate // 10)))
        fast, plain = wav.resample(samples, rate), plain_resample(samples, rate)
        assert len(fast) == len(plain)
        assert max(abs(a - b) for a, b in zip(fast, plain)) <= 1, rate


def test_input_too_loud_for_the_filter_is_attenuated_a_little_never_wrapped_around():
    square = array("h", (32767 if (n // 20) % 2 else -32768 for n in range(22050)))
    fast, plain = wav.resample(square, 22050), plain_resample(square, 22050)
    assert all((a > 0) == (b > 0) for a, b in zip(fast, plain) if abs(b) > 16000)
    assert 0.7 * max(plain) < max(fast) <= max(plain)


def test_trim_keeps_every_sample_from_the_first_to_the_last_one_louder_than_the_threshold():
    margin = wav.silence(wav.TRIM_MARGIN_MS)
    quiet = array("h", [0, 299, -300, 256, -257] * 400)
    speech = array("h", [301, 0, 0, -12000, 40, -301])
    assert wav.trim(quiet + speech + quiet) == quiet[-len(margin):] + speech + quiet[:len(margin)]
    assert wav.trim(quiet) == array("h")
