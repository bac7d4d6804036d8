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
from dataclasses import dataclass
from functools import lru_cache

RATE = 8000
SAMPLE_WIDTH = 2
TAPS_EACH_SIDE = 8
SILENCE_THRESHOLD = 300  # of 32767: quieter than this at either end is trimmed
TRIM_MARGIN_MS = 20
# While resampling, a sample is a field of a big integer (an unsigned int: 4 bytes, or more): 16 bits of
# fractions below its 16 bits.
FIELD = array("I").itemsize
FRACTION_BITS = 16
FIELD_LIMIT = (1 << (FRACTION_BITS + 15)) - (1 << (FRACTION_BITS - 1)) - 1  # the most |sum(tap * x)| may be
FLIP_SIGN = bytes(byte ^ 0x80 for byte in range(256))  # a high byte: two's complement <-> offset binary


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
    """Resample 16-bit samples to 8 kHz with a windowed-sinc low-pass (polyphase), rounding to the nearest.

    A Python loop per output sample (about 2 µs each) was most of the time of rendering the catalog. Here
    the samples that one tap of one output phase reads, a strided slice, are packed as the fields of one
    big integer: that tap is then one multiplication of a big integer by the tap's integer coefficient,
    done in C over all the samples at once.
    Input so loud that the filter could overshoot full scale is attenuated just enough, never clipped.
    """
    if rate == RATE:
        return samples
    step = math.gcd(rate, RATE)
    up, down = RATE // step, rate // step
    count = len(samples) * up // down
    rows = -(-count // up)  # outputs per phase, the last row running past the end
    if not rows:
        return array("h")
    kernels = integer_kernels(up, down)
    raw = little_endian(samples).tobytes()
    phases = kernels.phases
    if raw[1::2].translate(None, kernels.quiet_high_bytes):  # rare: worth finding the loudest sample
        phases = kernels.attenuated(max(max(samples), -min(samples)))
    # Each sample as a field holding x + 32768 (offset binary: never negative); the padding is silence.
    length = down * (rows + 1) + 2 * TAPS_EACH_SIDE
    fields = bytearray(FIELD * length)
    fields[0::FIELD] = (bytes(TAPS_EACH_SIDE) + raw[0::2]).ljust(length, b"\0")
    fields[1::FIELD] = (b"\x80" * TAPS_EACH_SIDE + raw[1::2].translate(FLIP_SIGN)).ljust(length, b"\x80")
    by_field = array("I", fields)  # its strided slices are the quickest to copy
    columns = [int.from_bytes(by_field[offset:offset + down * rows:down].tobytes(), "little")
               for offset in range(kernels.widest)]
    ones = int.from_bytes(b"\1".ljust(FIELD, b"\0") * rows, "little")
    out_low, out_high = bytearray(up * rows), bytearray(up * rows)
    for phase, (first, taps, bias) in enumerate(phases):
        # Each field now holds (y + 32768) * 2**FRACTION_BITS, y rounded: its bytes 2 and 3 are y + 32768.
        total = sum(map(operator.mul, taps, columns[first:first + len(taps)])) + bias * ones
        filtered = total.to_bytes(FIELD * rows, "little")
        out_low[phase::up], out_high[phase::up] = filtered[2::FIELD], filtered[3::FIELD]
    out = bytearray(2 * count)
    out[0::2], out[1::2] = out_low[:count], out_high[:count].translate(FLIP_SIGN)
    return from_little_endian(bytes(out))


@dataclass(frozen=True)
class IntegerKernels:
    """The polyphase filter in integers.

    phases: for the outputs n = phase, phase + up, ... of each phase, the column of the first input sample
    its taps read, its taps (scaled by 2**FRACTION_BITS), and the bias that makes their sum a field of
    (y + 32768) * 2**FRACTION_BITS, y rounded. widest: how many input columns the phases read.
    quiet_high_bytes: the high bytes of the samples the filter can never push past a field's limit.
    """

    phases: list[tuple[int, list[int], int]]
    widest: int
    quiet_high_bytes: bytes

    def attenuated(self, loudest: int) -> list[tuple[int, list[int], int]]:
        """Return the phases, their taps scaled down (if need be) so that samples up to loudest never overflow."""
        gain = min(1.0, FIELD_LIMIT / (loudest * most_gain(self.phases)))
        found = []
        for first, taps, _ in self.phases:
            scaled = [int(tap * gain) for tap in taps]  # toward zero: never louder than the limit
            found.append((first, scaled, field_bias(scaled)))
        return found


@lru_cache(maxsize=8)
def integer_kernels(up: int, down: int) -> IntegerKernels:
    """Return the polyphase filter from rate down * k to rate up * k, in integers."""
    phases = []
    for phase in range(up):
        first, fraction = divmod(phase * down, up)
        taps = [round(tap * (1 << FRACTION_BITS)) for tap in polyphase_kernels(up, down)[fraction]]
        phases.append((first + 1, taps, field_bias(taps)))
    loudest = FIELD_LIMIT // most_gain(phases)
    signed_highs = (high - 256 if high > 127 else high for high in range(256))
    quiet = bytes(high & 0xFF for high in signed_highs if -loudest <= high * 256 <= loudest - 255)
    return IntegerKernels(phases, max(first + len(taps) for first, taps, _ in phases), quiet)


def most_gain(phases: list[tuple[int, list[int], int]]) -> int:
    """Return the largest sum of the absolute taps of a phase: how much louder than its input an output can be."""
    return max(sum(map(abs, taps)) for _, taps, _ in phases)


def field_bias(taps: list[int]) -> int:
    """Return what turns sum(tap * (x + 32768)) into (y + 32768) * 2**FRACTION_BITS, plus a half to round y."""
    return (1 << (FRACTION_BITS + 15)) + (1 << (FRACTION_BITS - 1)) - 32768 * sum(taps)


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
