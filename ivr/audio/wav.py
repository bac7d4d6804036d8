"""Telephone audio: 8 kHz mono 16-bit PCM WAV, and the conversions, trims and joins it needs.

Standard library only: the synthesis worker runs this file without importing the ivr package.
"""
from __future__ import annotations

import io
import math
import operator
import sys
import wave
from array import array
from functools import lru_cache

RATE = 8000
SAMPLE_WIDTH = 2
TAPS_EACH_SIDE = 8
SILENCE_THRESHOLD = 300  # of 32767: quieter than this at either end is trimmed
TRIM_MARGIN_MS = 20


def to_wav(samples: array) -> bytes:
    """Return telephone WAV bytes of 8 kHz 16-bit samples."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(RATE)
        out.writeframes(little_endian(samples).tobytes())
    return buffer.getvalue()


def read_wav(data: bytes) -> array:
    """Return the samples of any PCM WAV, converted to 8 kHz mono 16-bit."""
    with wave.open(io.BytesIO(data), "rb") as source:
        channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
        frames = source.readframes(source.getnframes())
    return resample(to_mono(to_16_bit(frames, width), channels), rate)


def concatenate(wavs: list[bytes]) -> bytes:
    """Return one telephone WAV of several WAVs in order, converting their formats if needed."""
    joined = array("h")
    for data in wavs:
        joined.extend(read_wav(data))
    return to_wav(joined)


def silence(ms: int) -> array:
    """Return ms milliseconds of silence."""
    return array("h", bytes(2 * RATE * ms // 1000))


def trim(samples: array) -> array:
    """Cut the silence at both ends, keeping a short margin."""
    start = next((i for i, v in enumerate(samples) if abs(v) > SILENCE_THRESHOLD), None)
    if start is None:
        return array("h")
    end = len(samples) - next(i for i, v in enumerate(reversed(samples)) if abs(v) > SILENCE_THRESHOLD)
    margin = RATE * TRIM_MARGIN_MS // 1000
    return samples[max(0, start - margin):min(len(samples), end + margin)]


def to_16_bit(frames: bytes, width: int) -> array:
    """Return signed 16-bit samples of PCM frames of 1 to 4 bytes a sample."""
    if width == 2:
        return from_little_endian(frames)
    if width == 1:  # 8-bit WAV is unsigned
        return array("h", ((b - 128) << 8 for b in frames))
    if width in (3, 4):  # keep the two most significant bytes
        return array("h", (int.from_bytes(frames[i + width - 2:i + width], "little", signed=True)
                           for i in range(0, len(frames), width)))
    raise wave.Error(f"unsupported sample width {width}")


def to_mono(samples: array, channels: int) -> array:
    """Average the channels of interleaved samples."""
    if channels == 1:
        return samples
    return array("h", (sum(samples[i:i + channels]) // channels for i in range(0, len(samples), channels)))


def resample(samples: array, rate: int) -> array:
    """Resample 16-bit samples to 8 kHz with a windowed-sinc low-pass (polyphase)."""
    if rate == RATE:
        return samples
    step = math.gcd(rate, RATE)
    up, down = RATE // step, rate // step
    kernels = polyphase_kernels(up, down)
    padded = [0] * TAPS_EACH_SIDE + list(samples) + [0] * TAPS_EACH_SIDE
    out = array("h", bytes(2 * (len(samples) * up // down)))
    mul, width = operator.mul, 2 * TAPS_EACH_SIDE
    for n in range(len(out)):
        i, phase = divmod(n * down, up)
        value = int(sum(map(mul, kernels[phase], padded[i + 1:i + 1 + width])))
        out[n] = -32768 if value < -32768 else 32767 if value > 32767 else value
    return out


@lru_cache(maxsize=8)
def polyphase_kernels(up: int, down: int) -> list[list[float]]:
    """Return, for each output phase, the filter taps over the nearest input samples."""
    cutoff = min(1.0, up / down) * 0.92  # below the new Nyquist frequency, as a fraction of the old

    def tap(x: float) -> float:
        if abs(x) >= TAPS_EACH_SIDE:
            return 0.0
        sinc = 1.0 if x == 0 else math.sin(math.pi * cutoff * x) / (math.pi * cutoff * x)
        return cutoff * sinc * (0.5 + 0.5 * math.cos(math.pi * x / TAPS_EACH_SIDE))

    return [[tap(k - phase / up) for k in range(1 - TAPS_EACH_SIDE, TAPS_EACH_SIDE + 1)] for phase in range(up)]


def from_little_endian(frames: bytes) -> array:
    samples = array("h", frames[:len(frames) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def little_endian(samples: array) -> array:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples
