"""Telephone audio: 8 kHz mono 16-bit PCM WAV, and the conversions, trims and joins it needs.

The synthesis worker runs this file without importing the ivr package: it imports no part of it.
"""

from __future__ import annotations

import io
import sys
import wave
from array import array
from functools import lru_cache
from types import ModuleType

RATE = 8000
SAMPLE_WIDTH = 2
SILENCE_THRESHOLD = 300  # of 32767: quieter than this at either end is trimmed
TRIM_MARGIN_MS = 20
FULL_SCALE = 32768


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
    return samples[max(0, start - margin) : min(len(samples), end + margin)]


def to_16_bit(frames: bytes, width: int) -> array:
    """Return signed 16-bit samples of PCM frames of 1 to 4 bytes a sample."""
    if width == 2:
        return from_little_endian(frames)
    if width == 1:  # 8-bit WAV is unsigned
        return array("h", ((b - 128) << 8 for b in frames))
    if width in (3, 4):  # keep the two most significant bytes
        return array(
            "h",
            (
                int.from_bytes(frames[i + width - 2 : i + width], "little", signed=True)
                for i in range(0, len(frames), width)
            ),
        )
    raise wave.Error(f"unsupported sample width {width}")


def to_mono(samples: array, channels: int) -> array:
    """Average the channels of interleaved samples."""
    if channels == 1:
        return samples
    return array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))


def resample(samples: array, rate: int) -> array:
    """Resample 16-bit samples to 8 kHz with soxr (its default, high quality), rounding to the nearest.

    soxr works here in floats: its own 16-bit output would add dither, a faint hiss in the silences, and
    the rounding is ours. Input so loud that the filter overshoots full scale is clipped, never wrapped.
    """
    if rate == RATE:
        return samples
    if not samples:
        return array("h")
    np, soxr = resampler()
    heard = np.frombuffer(samples, dtype=np.int16).astype(np.float32) / FULL_SCALE
    resampled = np.rint(soxr.resample(heard, rate, RATE) * FULL_SCALE)
    return array("h", np.clip(resampled, -FULL_SCALE, FULL_SCALE - 1).astype(np.int16).tobytes())


@lru_cache(maxsize=1)
def resampler() -> tuple[ModuleType, ModuleType]:
    """Return numpy and soxr, imported on first use.

    Only the synthesis worker resamples (and whoever joins WAVs of other rates): a web process joins
    8 kHz files and never loads them (about 20 MiB more per process, and numpy's BLAS threads).
    """
    # Imported here, not at the top, on purpose: see above (tests/unit/test_telephone_wav.py checks it).
    import numpy
    import soxr

    return numpy, soxr


def from_little_endian(frames: bytes) -> array:
    samples = array("h", frames[: len(frames) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def little_endian(samples: array) -> array:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples
