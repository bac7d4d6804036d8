"""Studio recordings imported as telephone audio, checked against the catalog, with a report line per file.

A studio folder holds `<lang>/<key>.<ext>` for a prompt without placeholders and `<lang>/<key>/<N>.<ext>` for
stretch N (from 1) of a prompt with values, its stretches as ivr.audio.pieces.template_pieces gives them.
Each file (WAV of any rate, depth and channel count, FLAC, MP3) is decoded by soundfile (libsndfile), mixed
to mono, resampled by soxr to 8 kHz, brought to one loudness (wav.TARGET_LUFS, its peaks under
wav.PEAK_CEILING_DBFS), trimmed of its silences as synthesised audio is, faded in and out, and stored in the
audio library under the first 16 hex digits of the SHA-256 of its WAV bytes; recordings.json (recordings.py)
says which prompt or stretch it speaks. The same studio file always gives the same bytes, hence the same name:
importing a folder again changes nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import time
from array import array
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ivr.audio import recordings, wav
from ivr.audio.pieces import NOT_SPOKEN_KEYS, NOT_SPOKEN_PREFIXES, template_pieces
from ivr.speech.catalog import Catalog
from ivr.speech.values import VALUE_RECORDINGS

SUFFIXES = (".wav", ".flac", ".mp3")
MAX_SECONDS = 60.0
SILENT_DBFS = -60.0  # a file whose loudest sample is quieter than this holds no recording
IMPORTED, REPLACED, UNCHANGED, REFUSED = "imported", "replaced", "unchanged", "refused"
STATUSES = (IMPORTED, REPLACED, UNCHANGED, REFUSED)


class StudioError(Exception):
    """A studio file that cannot become a recording (unreadable, silent, too long)."""


@dataclass(frozen=True)
class Take:
    """A studio file: what it records (language and recording key), or why it cannot record anything."""

    path: Path
    shown: str  # its path in the studio folder, as the report says it
    language: str = ""
    key: str = ""  # the recording key: a prompt's key, or KEY/N for a stretch
    refusal: str = ""


@dataclass(frozen=True)
class Telephone:
    """A studio file made telephone audio and stored in the library: its name, length and level."""

    name: str
    seconds: float
    under_target_db: float  # how much quieter than the loudness target its peaks allowed (0: at the target)


@dataclass(frozen=True)
class Outcome:
    """What the import did with one studio file."""

    shown: str
    status: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.shown}: {self.status}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Report:
    """The outcome of every studio file, in the folder's order."""

    outcomes: list[Outcome] = field(default_factory=list)
    deleted: int = 0  # the files of takes replaced over an hour before, deleted (ivr/audio/recordings.py retire)

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def refused(self) -> int:
        return self.count(REFUSED)

    def summary(self) -> str:
        return ", ".join(f"{self.count(status)} {status}" for status in STATUSES)


def recordable(catalog: Catalog, language: str) -> dict[str, int | None]:
    """Return a language's spoken keys: None for a prompt recorded whole, else its number of stretches."""
    found: dict[str, int | None] = {}
    for key, text in catalog.texts[catalog.written(language)].items():
        if key in NOT_SPOKEN_KEYS or key.startswith(NOT_SPOKEN_PREFIXES):
            continue
        stretches = template_pieces(text)
        found[key] = None if None not in stretches else sum(stretch is not None for stretch in stretches)
    return found


def find_takes(directory: Path, catalog: Catalog, values: Collection[str] = ()) -> list[Take]:
    """Return every file of a studio folder (hidden ones aside) with what it records or why it cannot; values
    are the keys of the values recorded whole (ivr/audio/pieces.py value_keys)."""
    takes = [classify(directory, path, catalog, frozenset(values)) for path in studio_files(directory)]
    by_recording: dict[tuple[str, str], list[Take]] = {}
    for take in takes:
        if not take.refusal:
            by_recording.setdefault((take.language, take.key), []).append(take)
    twice = {
        take.path: f"{take.language} {take.key} is given more than once: "
        + ", ".join(other.shown for other in same if other is not take)
        for same in by_recording.values()
        if len(same) > 1
        for take in same
    }
    return [Take(take.path, take.shown, refusal=twice[take.path]) if take.path in twice else take for take in takes]


def studio_files(directory: Path) -> Iterator[Path]:
    for root, folders, files in os.walk(directory):
        folders[:] = sorted(folder for folder in folders if not folder.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def classify(directory: Path, path: Path, catalog: Catalog, values: frozenset[str] = frozenset()) -> Take:
    """Return what one studio file records, or why it cannot."""
    shown = path.relative_to(directory).as_posix()
    parts = path.relative_to(directory).parts

    def refused(reason: str) -> Take:
        return Take(path, shown, refusal=reason)

    if len(parts) == 1:
        return refused("not in a language folder: put it in <lang>/")
    language = parts[0]
    if language not in catalog.texts and language not in catalog.recorded:
        return refused(f"unknown language {language} (the catalog's: {', '.join([*catalog.texts, *catalog.recorded])})")
    if path.suffix.lower() not in SUFFIXES:
        return refused(f"not a {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]} file")
    if len(parts) > 3:
        return refused("too deep: files go in <lang>/<key>.<ext> or <lang>/<key>/<N>.<ext>")
    key = parts[1][: -len(path.suffix)] if len(parts) == 2 else parts[1]
    if key.startswith(VALUE_RECORDINGS):
        return value_take(path, shown, language, key, values, len(parts))
    problem = key_problem(catalog, language, key)
    if problem:
        return refused(problem)
    stretches = recordable(catalog, language)[key]
    if len(parts) == 2:
        if stretches is None:
            if not catalog.template(language, key).strip():
                return refused(f"{key} says nothing in {language}: nothing to record")
            return Take(path, shown, language, key)
        if not stretches:
            return refused(f"{key} is made of values only: nothing of its own to record")
        return refused(f"{key} has values: record its stretches as {stretch_files(key, stretches, path.suffix)}")
    if stretches is None:
        return refused(f"{key} has no values: record it as one file, {key}{path.suffix}")
    number = path.stem
    if not (number.isdigit() and 1 <= int(number) <= stretches):
        within = f"1 to {stretches}" if stretches else "none: it is made of values only"
        return refused(f"stretch {number} out of range: {key} has {stretches} stretches ({within})")
    return Take(path, shown, language, recordings.stretch_key(key, int(number)))


def key_problem(catalog: Catalog, language: str, key: str) -> str:
    """Say why a key cannot be recorded in a language (unknown, texted, not spoken), or return ''."""
    if key.startswith(NOT_SPOKEN_PREFIXES):
        return f"{key} is texted, never spoken: nothing to record"
    if key in NOT_SPOKEN_KEYS:
        return f"{key} is not spoken (a pause in audio): nothing to record"
    if key in catalog.texts[catalog.written(language)]:
        return ""
    close = difflib.get_close_matches(key, list(recordable(catalog, language)), n=1, cutoff=0.75)
    return f"unknown key {key}" + (f" (did you mean {close[0]}?)" if close else "")


def value_take(path: Path, shown: str, language: str, key: str, values: frozenset[str], depth: int) -> Take:
    """Return a value recorded whole (a date, a month, a category, the hours), or why it cannot be."""
    if depth != 2:
        return Take(path, shown, refusal=f"{key} is a value recorded whole: put it in {language}/{key}{path.suffix}")
    if key not in values:
        close = difflib.get_close_matches(key, sorted(values), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else " (`prompts check --verbose` lists the values to record)"
        return Take(path, shown, refusal=f"unknown value {key}: no prompt says it{hint}")
    return Take(path, shown, language, key)


def stretch_files(key: str, stretches: int, suffix: str) -> str:
    if stretches <= 2:
        return " and ".join(f"{key}/{n}{suffix}" for n in range(1, stretches + 1))
    return f"{key}/1{suffix} ... {key}/{stretches}{suffix}"


def telephone_samples(path: Path) -> tuple[array, float]:
    """Decode a studio file into normalised, trimmed and faded 8 kHz samples; return them and the gain cut.

    The second value is how many dB under the loudness target the clip's peaks kept it.
    """
    np, soxr = wav.resampler()
    import soundfile  # type: ignore[import-untyped]  # imported on first use, as numpy is (wav.resampler())

    try:
        info = soundfile.info(str(path))
        if info.samplerate and info.frames / info.samplerate > MAX_SECONDS:
            raise StudioError(f"over {MAX_SECONDS:.0f} s ({info.frames / info.samplerate:.0f} s)")
        decoded, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError, TypeError) as error:  # libsndfile's errors are RuntimeErrors
        raise StudioError(f"unreadable: {error}".replace(str(path), path.name)) from error
    if not len(decoded):
        raise StudioError("empty: no audio in it")
    if len(decoded) / rate > MAX_SECONDS:
        raise StudioError(f"over {MAX_SECONDS:.0f} s ({len(decoded) / rate:.0f} s)")
    mono = decoded.mean(axis=1, dtype=np.float32)
    if not np.isfinite(mono).all():
        raise StudioError("unreadable: samples that are not numbers (a damaged float WAV)")
    peak = float(np.max(np.abs(mono)))
    if peak <= 10 ** (SILENT_DBFS / 20):
        raise StudioError(f"silent: no sample louder than {SILENT_DBFS:.0f} dBFS")
    telephone = mono if rate == wav.RATE else soxr.resample(mono, rate, wav.RATE)
    # Measured where it will be heard: the silences trim() cuts would lower the gated loudness by up to a dB.
    gain_db, _ = wav.normalisation_db(telephone)
    start, end = wav.trimmed_span(wav.to_samples(telephone * 10 ** (gain_db / 20)))
    heard = telephone[start:end]
    if not len(heard):
        raise StudioError("silent once trimmed")
    gain_db, under_target_db = wav.normalisation_db(heard)
    return wav.fade(wav.trim(wav.to_samples(heard * 10 ** (gain_db / 20)))), under_target_db


def store(path: Path, audio_dir: Path) -> Telephone:
    """Make a studio file telephone audio and write it in the library (at once, unless already there)."""
    samples, under_target = telephone_samples(path)
    data = wav.to_wav(samples)
    name = hashlib.sha256(data).hexdigest()[:16]
    target = audio_dir / f"{name}.wav"
    if not target.exists():
        wav.write_atomically(target, data)
    return Telephone(name, len(samples) / wav.RATE, under_target)


def store_or_refusal(path: Path, audio_dir: Path) -> Telephone | str:
    """Return what store() stored, or the reason a file was refused."""
    try:
        return store(path, audio_dir)
    except StudioError as error:
        return str(error)


def import_takes(takes: list[Take], audio_dir: Path, done: Callable[[], None] = lambda: None) -> Report:
    """Store every take that records something, update the index once, and report on every take in order.

    One file after another: on this project's 2-core machine two threads (the GIL) or two processes (their
    start and copies) were slower than one loop (bench/recordings.py says how fast it is).
    """
    audio_dir.mkdir(parents=True, exist_ok=True)
    index = recordings.load(audio_dir)
    before = recordings.Recordings({language: dict(keys) for language, keys in index.by_language.items()})
    report, changed = Report(), False
    for take in takes:
        if take.refusal:
            report.outcomes.append(Outcome(take.shown, REFUSED, take.refusal))
            done()
            continue
        result = store_or_refusal(take.path, audio_dir)
        done()
        if isinstance(result, str):
            report.outcomes.append(Outcome(take.shown, REFUSED, result))
            continue
        previous = index.name(take.language, take.key)
        if previous == result.name:
            report.outcomes.append(Outcome(take.shown, UNCHANGED))
            continue
        index.by_language.setdefault(take.language, {})[take.key] = result.name
        changed = True
        detail = f"{result.seconds:.1f} s as {result.name}"
        if result.under_target_db >= 0.1:
            detail += f", {result.under_target_db:.1f} dB under the loudness target to keep its peaks under "
            detail += f"{wav.PEAK_CEILING_DBFS:.0f} dBFS"
        if previous is None:
            report.outcomes.append(Outcome(take.shown, IMPORTED, detail))
        else:
            report.outcomes.append(Outcome(take.shown, REPLACED, f"{detail} (was {previous})"))
    if changed:
        recordings.save(audio_dir, index)
    report.deleted = recordings.retire(audio_dir, before, index, time.time())
    return report
