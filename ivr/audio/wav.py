"""Telephone audio: 8 kHz mono 16-bit PCM WAV, and the conversions, trims and joins it needs.

The synthesis worker runs this file without importing the ivr package: it imports no part of it.
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
import wave
from array import array
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported on first use (see resampler())
    import numpy

RATE = 8000
SAMPLE_WIDTH = 2
SILENCE_THRESHOLD = 300  # of 32767: quieter than this at either end is trimmed
TRIM_MARGIN_MS = 20
FULL_SCALE = 32768
FADE_MS = 10  # in and out of a recording, so that no join clicks
TARGET_LUFS = -20.0  # every recording's loudness (ITU-R BS.1770 integrated, gated)
PEAK_CEILING_DBFS = -1.0  # true peak (4 times oversampled) at most this
LOUDNESS_BLOCK_S = 0.4  # BS.1770's gating block: shorter audio is measured by its RMS level instead
OVERSAMPLING = 4


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
    start, end = trimmed_span(samples)
    return samples[start:end]


def trimmed_span(samples: array) -> tuple[int, int]:
    """Return where trim() cuts samples: the slice from the first to the last one heard, with margins."""
    start = next((i for i, v in enumerate(samples) if abs(v) > SILENCE_THRESHOLD), None)
    if start is None:
        return 0, 0
    end = len(samples) - next(i for i, v in enumerate(reversed(samples)) if abs(v) > SILENCE_THRESHOLD)
    margin = RATE * TRIM_MARGIN_MS // 1000
    return max(0, start - margin), min(len(samples), end + margin)


def fade(samples: array, ms: int = FADE_MS) -> array:
    """Return samples faded in from and out to silence over ms milliseconds (linearly) at each end."""
    faded = array("h", samples)
    length = min(RATE * ms // 1000, len(faded) // 2)
    for i in range(length):
        faded[i] = round(faded[i] * i / length)
        faded[-1 - i] = round(faded[-1 - i] * i / length)
    return faded


def loudness(signal: numpy.ndarray, rate: int = RATE) -> float:
    """Return the loudness of mono float samples (full scale 1.0) in LUFS, -inf when silent.

    pyloudnorm's BS.1770 meter (K-weighted, gated) where the audio is at least one gating block long; a
    shorter clip is measured by the RMS level of its span between the first and last sample above -40 dB of
    its peak (the same as LUFS, within a dB or so, for speech between 300 Hz and 3.4 kHz).
    """
    np, _ = resampler()
    if len(signal) >= LOUDNESS_BLOCK_S * rate:
        return float(loudness_meter().Meter(rate).integrated_loudness(signal.astype(np.float64)))
    heard = np.flatnonzero(np.abs(signal) > np.max(np.abs(signal), initial=0.0) / 100)
    if not len(heard):
        return float("-inf")
    span = signal[heard[0] : heard[-1] + 1].astype(np.float64)
    return float(10 * np.log10(np.mean(span**2)))


def true_peak(signal: numpy.ndarray, rate: int = RATE) -> float:
    """Return the true peak of mono float samples in dBFS: the highest of the signal oversampled 4 times."""
    np, soxr = resampler()
    if not len(signal):
        return float("-inf")
    oversampled = soxr.resample(signal.astype(np.float32), rate, rate * OVERSAMPLING)
    peak = max(float(np.max(np.abs(oversampled), initial=0.0)), float(np.max(np.abs(signal))))
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def normalisation_db(signal: numpy.ndarray, rate: int = RATE) -> tuple[float, float]:
    """Return the gain in dB that brings mono float samples to TARGET_LUFS, and how far under it their peaks kept it.

    The whole clip is scaled by one gain (no limiter reshapes it): a clip whose true peak would pass
    PEAK_CEILING_DBFS at the target loudness ends quieter than the target, by as much as needed.
    """
    measured = loudness(signal, rate)
    if not math.isfinite(measured):
        return 0.0, 0.0
    wanted = TARGET_LUFS - measured
    gain = min(wanted, PEAK_CEILING_DBFS - true_peak(signal, rate))
    return gain, wanted - gain


def levelled(samples: array) -> array:
    """Return samples brought to TARGET_LUFS (their true peak kept under PEAK_CEILING_DBFS) and faded in and out,
    as every studio recording is: synthesis and recordings then play at one level, and no join clicks."""
    if not samples:
        return samples
    np, _ = resampler()
    signal = np.frombuffer(little_endian(samples).tobytes(), dtype="<i2").astype(np.float64) / FULL_SCALE
    gain_db, _ = normalisation_db(signal)
    return fade(to_samples(signal * 10 ** (gain_db / 20)))


def to_samples(signal: numpy.ndarray) -> array:
    """Return 16-bit samples of float samples (full scale 1.0), rounded to the nearest and clipped."""
    np, _ = resampler()
    rounded = np.clip(np.rint(signal * FULL_SCALE), -FULL_SCALE, FULL_SCALE - 1).astype("<i2")
    return from_little_endian(rounded.tobytes())


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
def loudness_meter() -> ModuleType:
    """Return pyloudnorm (and with it scipy), imported on first use, as resampler() imports numpy."""
    import pyloudnorm  # type: ignore[import-untyped]

    return pyloudnorm


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


READABLE = 0o644  # an audio file: its owner writes it, every process of the server reads it


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file under a temporary name, then rename it: readers never see half a file."""
    folder = os.path.dirname(path) or "."
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
