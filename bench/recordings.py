"""Studio recordings: 500 files of 5 s at 44.1 kHz stereo imported as telephone audio (prompts import-recordings)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Section, flask

FILES, SECONDS, STUDIO_RATE = 500, 5.0, 44100
TARGET_S = 30.0
REPORTED = re.compile(r"(\d+) imported, (\d+) replaced, (\d+) unchanged, (\d+) refused")


@dataclass
class Import:
    """One `prompts import-recordings` run: its wall time and the counts it reported."""

    files: int
    wall_s: float
    imported: int
    replaced: int
    unchanged: int
    refused: int


def run(quick: bool) -> Section:
    section = Section("recordings", "Studio recordings import", "scripts/bench recordings")
    files, seconds = (40, 2.0) if quick else (FILES, SECONDS)
    scratch = Path(tempfile.mkdtemp(prefix="bench-recordings-"))
    env = {
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
        "IVR_SECRET_KEY": secrets.token_hex(16),
        "IVR_SMS_SENDER": "off",
    }
    try:
        flask("db", "upgrade", env=env, capture=True)
        keys = recording_keys()
        first = keys[:files]
        retakes = keys[: max(0, files - len(first))]
        started = time.perf_counter()
        make_studio(scratch / "studio", first, seconds, take=1)
        make_studio(scratch / "retakes", retakes, seconds, take=2)
        made_s = time.perf_counter() - started
        library = scratch / "audio"
        runs = [import_folder(scratch / "studio", library, env, len(first))]
        if retakes:
            runs.append(import_folder(scratch / "retakes", library, env, len(retakes)))
        again = import_folder(scratch / "studio", library, env, len(first))
        report(section, runs, again, files, seconds, len(keys), made_s, library)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return section


def recording_keys() -> list[tuple[str, str]]:
    """Return every (language, studio path without extension) the real catalog records, in catalog order."""
    from ivr.audio.studio import recordable
    from ivr.speech.catalog import Catalog

    catalog = Catalog.load()
    found = []
    for language in catalog.texts:
        for key, stretches in recordable(catalog, language).items():
            if stretches is None and catalog.texts[language][key].strip():
                found.append((language, key))
            found.extend((language, f"{key}/{number}") for number in range(1, (stretches or 0) + 1))
    return found


def make_studio(folder: Path, keys: list[tuple[str, str]], seconds: float, take: int) -> None:
    """Write a 44.1 kHz stereo 16-bit WAV per key: a tone or a noise burst between half-second silences."""
    import numpy as np
    import soundfile

    for index, (language, key) in enumerate(keys):
        draw = np.random.default_rng(1000 * take + index)
        n = np.arange(int(STUDIO_RATE * (seconds - 1.0)))
        level = draw.uniform(0.02, 0.5)
        if index % 2:
            sound = level * np.sin(2 * np.pi * draw.uniform(200, 3000) * n / STUDIO_RATE)
        else:
            sound = level / 3 * draw.standard_normal(len(n)) * np.hanning(len(n))
        quiet = np.zeros(STUDIO_RATE // 2)
        left = np.concatenate([quiet, sound, quiet])
        path = folder / language / f"{key}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), np.stack([left, 0.9 * left], axis=1), STUDIO_RATE, subtype="PCM_16")


def import_folder(folder: Path, library: Path, env: dict[str, str], files: int, *options: str) -> Import:
    """Run `flask --app app prompts import-recordings FOLDER --audio-dir LIBRARY` as an operator does."""
    started = time.perf_counter()
    result = flask(
        "prompts",
        "import-recordings",
        str(folder),
        "--audio-dir",
        str(library),
        *options,
        env=env,
        capture=True,
        check=False,
    )
    wall = time.perf_counter() - started
    found = REPORTED.search(result.stdout)
    if not found:
        raise RuntimeError(f"import-recordings said: {result.stdout[-500:]} {result.stderr[-500:]}")
    imported, replaced, unchanged, refused = (int(count) for count in found.groups())
    if refused:
        raise RuntimeError(f"import-recordings refused {refused} files: {result.stdout[-1000:]}")
    return Import(files, wall, imported, replaced, unchanged, refused)


def report(
    section: Section,
    runs: list[Import],
    again: Import,
    files: int,
    seconds: float,
    catalog_recordings: int,
    made_s: float,
    library: Path,
) -> None:
    total = sum(r.wall_s for r in runs)
    section.add(
        f"{files} recordings of {seconds:.0f} s (44.1 kHz stereo WAV) imported, whole commands",
        f"{total:.1f} s",
        f"≤ {TARGET_S:.0f} s",
        total <= TARGET_S,
    )
    section.add("Files a second, whole commands", f"{files / total:.0f}")
    section.add(
        f"The catalog's {again.files} files imported again (all unchanged, nothing written)",
        f"{again.wall_s:.1f} s",
    )
    stored = list(library.glob("*.wav"))
    section.notes.append(
        f"The real catalog records {catalog_recordings} files in ar and fr (prompts without values whole, the "
        "others as their stretches between values); 500 are its "
        f"{runs[0].files} imported into an empty library ({runs[0].wall_s:.1f} s: "
        f"{runs[0].imported} imported) then {sum(r.files for r in runs[1:])} new takes of the first of them "
        f"imported over it ({sum(r.wall_s for r in runs[1:]):.1f} s: "
        f"{sum(r.replaced for r in runs[1:])} replaced): two commands, each paying Python's and the app's start, "
        f"timed from outside as an operator runs them."
    )
    section.notes.append(
        f"Each file: {seconds - 1:.0f} s of a sine tone (200-3000 Hz) or a Hann-shaped noise burst at a random "
        "level (seeded: the same files every run) between half-second silences, 16-bit; decoded by soundfile, "
        "mixed to mono, resampled by soxr, measured by pyloudnorm, trimmed, faded and written "
        f"({len(stored)} files, {sum(p.stat().st_size for p in stored) / 1024 / 1024:.0f} MiB in the library). "
        f"Writing the studio folders took {made_s:.1f} s, not counted."
    )
    section.notes.append(
        f"One file after another, on {os.cpu_count()} cores: measured once on 200 of these files, the loop took "
        "2.5 s, two threads 3.4 s (most of a file's time holds the GIL: numpy's small steps, pyloudnorm's block "
        "loop, trim's scan) and a pool of two processes 3.8 s forked, 4.5 s spawned. A folder imported again "
        "decodes every file again (a recording is known by the bytes it gives), writes nothing and leaves "
        "the index as it was."
    )
