"""Prompt audio: the catalog rendered cold and warm; a registration number's prompt, uncached and cached."""

from __future__ import annotations

import http.client
import math
import os
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import Section, flask
from bench.processes import Gunicorn

COLD_TARGET_S, WARM_TARGET_S, DYNAMIC_TARGET_MS = 10.0, 1.0, 50.0
PROMPT = "credentials.sent"  # says the registration number (9 digits) and the mobile's last four
REPORTED = re.compile(r"(\d+) rendered, (\d+) unchanged, (\d+) failed in ([\d.]+) s")


@dataclass
class Render:
    """One `prompts render` run: the command's wall time and what it reported of itself."""

    wall_s: float
    rendered: int
    unchanged: int
    failed: int
    reported_s: float


def run(quick: bool) -> Section:
    section = Section("audio", "Prompt audio", "scripts/bench audio")
    from ivr.audio.synthesis import unavailable_reason, voice_settings

    reason = unavailable_reason(voice_settings())
    if reason:
        section.notes.append(f"Not measured: {reason}.")
        return section
    scratch = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    env = {
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
        "IVR_SECRET_KEY": secrets.token_hex(16),
        "IVR_SMS_SENDER": "off",
    }
    try:
        flask("db", "upgrade", env=env, capture=True)  # an operator's database exists before the render
        audio_dir = measure_renders(section, scratch, env, repeats=1 if quick else 3)
        play_env = {**env, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(audio_dir)}
        measure_registration_numbers(section, play_env, count=50 if quick else 300)
        measure_on_demand(section, play_env, count=5 if quick else 20)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return section


def render(audio_dir: Path, env: dict[str, str]) -> Render:
    """Run `flask --app app prompts render --audio-dir DIR` as an operator does (default --jobs)."""
    started = time.perf_counter()
    result = flask("prompts", "render", "--audio-dir", str(audio_dir), env=env, capture=True)
    wall = time.perf_counter() - started
    found = REPORTED.search(result.stdout)
    if not found:
        raise RuntimeError(f"prompts render said: {result.stdout[-500:]} {result.stderr[-500:]}")
    rendered, unchanged, failed, reported = found.groups()
    return Render(wall, int(rendered), int(unchanged), int(failed), float(reported))


def measure_renders(section: Section, scratch: Path, env: dict[str, str], repeats: int) -> Path:
    """Render the catalog cold (into new folders) and warm (again); return a rendered folder."""
    colds, warms = [], []
    for attempt in range(repeats):
        audio_dir = scratch / f"audio-{attempt}"
        colds.append(render(audio_dir, env))
        warms.append(render(audio_dir, env))
    cold, warm = median_by_wall(colds), median_by_wall(warms)
    texts = cold.rendered + cold.unchanged + cold.failed
    seconds = total_seconds(audio_dir)
    of = f" (median of {repeats})" if repeats > 1 else ""
    section.add(
        f"Catalog cold: `prompts render` into an empty folder, whole command{of}",
        f"{cold.wall_s:.1f} s",
        f"≤ {COLD_TARGET_S:.0f} s",
        cold.wall_s <= COLD_TARGET_S,
    )
    section.add("Catalog cold: rendering itself, as the command reports it", f"{cold.reported_s:.1f} s")
    section.add(
        f"Catalog warm: the same command again, whole command (Python and the app's start){of}",
        f"{warm.wall_s:.2f} s",
        f"≤ {WARM_TARGET_S:.0f} s",
        warm.wall_s <= WARM_TARGET_S,
    )
    section.add(
        "Catalog warm: rendering itself (nothing to do), as the command reports it",
        f"{warm.reported_s:.1f} s",
        f"≤ {WARM_TARGET_S:.0f} s",
        warm.reported_s <= WARM_TARGET_S,
    )
    section.notes.append(
        f"Catalog: {texts} texts ({cold.failed} failed), {seconds / 60:.0f} min of 8 kHz speech, "
        f"{folder_mib(audio_dir):.0f} MiB; `--jobs` default ({os.cpu_count()}, the CPU count). Cold runs: "
        + ", ".join(f"{r.wall_s:.1f} s" for r in colds)
        + "; warm runs: "
        + ", ".join(f"{r.wall_s:.2f} s" for r in warms)
        + ". A warm run's time is the Python process and the "
        "app's start (imports, schema check, catalog and flows loaded, espeak-ng probed), which every "
        "`flask --app app` command pays."
    )
    return audio_dir


def measure_registration_numbers(section: Section, env: dict[str, str], count: int) -> None:
    """Fetch the prompt saying new registration numbers from gunicorn's /audio/, then fetch them again."""
    from ivr.audio.player import Player
    from ivr.factory import create_app
    from ivr.speech.say_text.values import DigitString
    from ivr.web.extension import runtime_of

    draw = random.Random(7)
    numbers = [str(n) for n in draw.sample(range(10**8, 10**9), count)]
    with Gunicorn("app:app", env) as server:
        server.wait_until_answering()
        app = create_app({**env, "PUBLIC_BASE_URL": server.url})
        rt, urls, url_ms = runtime_of(app), [], []
        try:
            for index, number in enumerate(numbers):
                language = ("fr", "ar")[index % 2]
                params = {"number": DigitString(number), "last_four": DigitString(f"{draw.randrange(10_000):04d}")}
                started = time.perf_counter()
                url = Player(rt.extras["audio"], rt.catalog, server.url).url(language, PROMPT, params)
                url_ms.append(1000 * (time.perf_counter() - started))
                if url is None:
                    raise RuntimeError(f"no audio URL for {PROMPT}: is the catalog rendered?")
                urls.append(urlsplit(url).path)
        finally:
            rt.extras["audio"].close()
            rt.store.dispose()
        for _ in range(20):  # past every worker process's first request
            fetch(server.port, urls[0])
        first = [fetch(server.port, path) for path in urls]
        again = [fetch(server.port, path) for path in urls]
        revalidated = [fetch(server.port, path, etag=f'"{Path(path).stem}"') for path in urls]
    sizes = [size for _, _, size in first]
    for name, fetched, status in (
        ("first request (composed: never asked before)", first, 200),
        ("same URL again", again, 200),
        ("same URL with If-None-Match (Twilio's cache revalidating)", revalidated, 304),
    ):
        wrong = sum(1 for _, got, _ in fetched if got != status)
        latencies = [ms for ms, _, _ in fetched]
        target = f"≤ {DYNAMIC_TARGET_MS:.0f} ms" if fetched is first else ""
        met = percentile(latencies, 99) <= DYNAMIC_TARGET_MS and not wrong if fetched is first else None
        section.add(
            f"Registration number prompt, {name}: p50 / p99",
            f"{percentile(latencies, 50):.1f} / {percentile(latencies, 99):.1f} ms"
            + (f", {wrong} not {status}" if wrong else ""),
            target,
            met,
        )
    section.add(
        "Registration number prompt: its URL built in the call step (Player.url): p50 / p99",
        f"{percentile(url_ms, 50):.2f} / {percentile(url_ms, 99):.2f} ms",
    )
    section.notes.append(
        f"Registration numbers: {count} distinct 9-digit numbers never asked before, half in French, half in "
        f"Arabic, each the `{PROMPT}` prompt ({statistics.mean(sizes) / 16000:.0f} s of audio, "
        f"{statistics.mean(sizes) / 1024:.0f} KiB) at the URL a call step builds (ivr/audio/player.py), fetched "
        "one at a time, each on a new HTTP connection, from gunicorn (gunicorn.conf.py, on 127.0.0.1, "
        "SQLite); time from the request sent to the last byte read. The server keeps no composed file: "
        "every 200 joins the rendered pieces again, so the first request and a repeated one cost the same; "
        "the URL is immutable and carries an ETag, so a cache (Twilio's) asks again at most with "
        "If-None-Match, answered 304 without reading audio."
    )


def measure_on_demand(section: Section, env: dict[str, str], count: int) -> None:
    """Time a prompt whose value was never rendered: its piece synthesized while the call step waits."""
    from ivr.audio.library import ON_DEMAND_WAIT
    from ivr.audio.player import Player
    from ivr.factory import create_app
    from ivr.speech.say_text.values import Day, Localized, Month
    from ivr.web.extension import runtime_of

    app = create_app(env)
    rt = runtime_of(app)
    library = rt.extras["audio"]
    choice = rt.categories.info_choices[0]
    start_ms, render_ms = [], []
    try:
        for index in range(count + 1):
            # A coverage date no category has: its spoken date is a piece no render made.
            day = date(2031, 1, 1) + timedelta(days=index)
            params = {
                "choice": Localized.of(choice.label),
                "due_month": Month(choice.contributions_due),
                "coverage_date": Day(day),
            }
            if index == 0:
                library.synthesizer.close()  # the first one also starts the engine's worker process
            started = time.perf_counter()
            url = Player(library, rt.catalog, "http://127.0.0.1", wait=30).url("fr", "info.dates", params)
            (start_ms if index == 0 else render_ms).append(1000 * (time.perf_counter() - started))
            if url is None:
                raise RuntimeError("the engine did not render a new date")
    finally:
        library.close()
        rt.store.dispose()
    in_time = sum(ms <= 1000 * ON_DEMAND_WAIT for ms in render_ms)
    section.add(
        "Prompt with a never-rendered value (a new date), engine worker running: p50 / max",
        f"{percentile(render_ms, 50):.0f} / {max(render_ms):.0f} ms",
    )
    section.add("The same, when the engine's worker must start first", f"{start_ms[0]:.0f} ms")
    section.notes.append(
        f"Never-rendered values: {count} `info.dates` prompts, each with a coverage date no render made, "
        f"in-process (Player.url, as a call step, with the wait lifted to measure it); {in_time} of {count} "
        f"were ready within the {ON_DEMAND_WAIT:.1f} s a call step waits (ON_DEMAND_WAIT). A call step never "
        f"waits longer: past it the prompt is said with <Say> and played from the next step on."
    )


def fetch(port: int, path: str, etag: str | None = None) -> tuple[float, int, int]:
    """GET a path on a new connection, as a fetch of Twilio's; return the ms to the last byte, status, size."""
    headers = {"If-None-Match": etag} if etag else {}
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return 1000 * (time.perf_counter() - started), response.status, len(body)


def median_by_wall(runs: list[Render]) -> Render:
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]


def percentile(values: list[float], p: int) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


def total_seconds(folder: Path) -> float:
    """Return the seconds of 8 kHz 16-bit audio in a folder's WAV files (44-byte headers)."""
    return sum((path.stat().st_size - 44) / 16000 for path in folder.glob("*.wav"))


def folder_mib(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.glob("*.wav")) / 1024 / 1024
