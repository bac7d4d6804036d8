"""Call steps measured by wrk: precomputed, signed webhooks of whole registrations against gunicorn over PostgreSQL.

bench/steps.py measures a step as a Python caller sees it (the simulator spends about 1.6 ms of CPU
per step of its own); here a C load generator replays the webhooks Twilio would send, so that the
figures are the server's. The call is recorded once, played in-process over the benchmark's own
database, then rewritten for each synthetic person (CallSid, calling number, CIN digits, birth date)
and signed for the server's URL. Each wrk thread has one connection and plays its calls' steps in
order (bench/webhooks.lua); the floor (bench/bare_app.py) and the voice server are measured in turns.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.common import PROJECT_DIR, Section, create_postgres_database, drop_postgres_database, flask
from bench.processes import CpuMeter, Gunicorn, named
from bench.webhook_calls import (
    SECRET,
    PlayedCall,
    Webhook,
    call_sid,
    calls_for,
    check_recording,
    for_floor,
    for_person,
    play_in_process,
    same_call,
    write_requests,
)
from ivr.store.models import Registration

SCRIPT = PROJECT_DIR / "bench" / "webhooks.lua"
TARGET_RATIO, TARGET_P99_MS = 0.35, 50
WORKERS = str(max(2, os.cpu_count() or 1))  # as bench/steps.py: the processes of a PostgreSQL deployment
RECORDED_PERSON, COUNTED_PERSON, FIRST_REPLAYED_PERSON = 0, 1, 2  # 0 and 1 are played in-process
FLOOR_CALLS_PER_THREAD = 8  # the floor keeps no state: its threads play their calls over and over
WRK_TIMEOUT = "20s"  # longer than a webhook may take (the server's database timeouts, then its apology)


@dataclass
class WrkRun:
    """What one wrk run printed (bench/webhooks.lua's done()), and the CPU seconds wrk spent."""

    figures: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def __getitem__(self, name: str) -> int:
        return self.figures.get(name, 0)

    @property
    def steps_per_second(self) -> float:
        """Answers per second while every connection was sending."""
        return self["window_requests"] / (self["window_us"] / 1e6) if self["window_us"] else 0.0

    def ms(self, name: str) -> float:
        return self[name] / 1000

    @property
    def socket_errors(self) -> int:
        return sum(self[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))

    @property
    def faults(self) -> int:
        """Wrong answers (status or text not the expected one) and socket errors."""
        return self["wrong"] + self.socket_errors

    def describe(self) -> str:
        return (
            f"{self['requests']} requests, {self['calls']} calls done, {self['wrong']} wrong answers, socket errors "
            f"connect {self['errors_connect']} read {self['errors_read']} write {self['errors_write']} "
            f"timeout {self['errors_timeout']}"
        )


def parse_wrk_output(output: str) -> WrkRun:
    """Read the "wrkbench NAME VALUE" lines bench/webhooks.lua's done() prints."""
    run = WrkRun()
    for line in output.splitlines():
        if not line.startswith("wrkbench "):
            continue
        _, name, value = [*line.split(" ", 2), ""][:3]
        if name == "problem":
            run.problems.append(value)
        else:
            run.figures[name] = int(float(value))
    if "requests" not in run.figures:
        raise RuntimeError(f"wrk printed no figures:\n{output[-2000:]}")
    return run


@dataclass
class Measured:
    """One round of one server: wrk's run and the CPU milliseconds per step of the server and the database."""

    run: WrkRun
    server_ms: float
    database_ms: float

    @property
    def wrk_ms(self) -> float:
        return 1000 * self.run.cpu_seconds / max(1, self.run["requests"])


def settings(quick: bool) -> dict[str, int]:
    """Return the sizes of a run; BENCH_* overrides."""
    return {
        "seconds": int(os.environ.get("BENCH_SECONDS", 3 if quick else 15)),
        "warmup_seconds": int(os.environ.get("BENCH_WARMUP_SECONDS", 2 if quick else 8)),
        "rounds": int(os.environ.get("BENCH_ROUNDS", 1 if quick else 2)),
        "connections": int(os.environ.get("BENCH_CONNECTIONS", 16)),
    }


# Servers and runs.


def wrk_run(url: str, directory: Path, threads: int, seconds: int, wrap: bool) -> WrkRun:
    """Run wrk with one connection a thread on the requests of directory; count its CPU time."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{threads}",
        f"-d{seconds}s",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(SCRIPT),
        url + "/",
        "--",
        str(directory),
        "wrap" if wrap else "once",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the one child waited for meanwhile
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-2000:]}")
    run = parse_wrk_output(done.stdout)
    if done.stderr.strip():  # the script's errors (an unreadable file) go there and wrk goes on
        run.problems.append(f"wrk said: {done.stderr.strip()[:500]}")
    run.cpu_seconds = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return run


def measure(server: Gunicorn, directory: Path, sizes: dict[str, int], wrap: bool, database: bool) -> Measured:
    """Run wrk against a server while counting the CPU of its workers and of PostgreSQL."""
    server_cpu, database_cpu = CpuMeter(server.workers), CpuMeter(lambda: named("postgres") if database else [])
    server_cpu.start(), database_cpu.start()
    run = wrk_run(server.url, directory, sizes["connections"], sizes["seconds"], wrap)
    server_seconds, database_seconds = server_cpu.stop(), database_cpu.stop()
    steps = max(1, run["requests"])
    return Measured(run, 1000 * server_seconds / steps, 1000 * database_seconds / steps)


def registrations(database_url: str) -> int:
    """Return how many registrations the database holds."""
    engine = create_engine(database_url, hide_parameters=True)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Registration)).scalar_one())
    finally:
        engine.dispose()


def vacuum_analyze(database_url: str) -> None:
    """Vacuum and analyze the fresh database, as a long-running one would be, so autovacuum does not start mid-run."""
    engine = create_engine(database_url, hide_parameters=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def run(quick: bool) -> Section:
    section = Section("webhooks", "Call steps under wrk (the server's throughput)", "scripts/bench webhooks")
    if shutil.which("wrk") is None:
        section.add("wrk", "skipped: wrk is not installed (apt-get install wrk; scripts/bench installs it as root)")
        return section
    sizes = settings(quick)
    section.notes.append(
        "Load average before the run (a quiet machine is near 0): " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(f"  {section.notes[-1]}", flush=True)
    try:
        url = create_postgres_database("webhooks")
    except Exception as error:  # no server: nothing to measure, and the reason is printed
        section.add("PostgreSQL", f"skipped: {str(error).splitlines()[0]}")
        return section
    work = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    try:
        _run(section, url, sizes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop_postgres_database(url)
    return section


def _run(section: Section, url: str, sizes: dict[str, int], work: Path) -> None:
    environment = {"DATABASE_URL": url, "IVR_SECRET_KEY": SECRET, "IVR_SMS_SENDER": "off"}
    threads = sizes["connections"]
    flask("db", "upgrade", env=environment, capture=True)
    flask("registrations", "load-synthetic", "--count", str(FIRST_REPLAYED_PERSON), env=environment, capture=True)
    print("  one registration in-process, recorded, then another counted ...", flush=True)
    recorded, counted = play_in_process(url, [RECORDED_PERSON, COUNTED_PERSON])
    call = recorded.webhooks
    check_recording(call, RECORDED_PERSON)
    rewritten = for_person(call, RECORDED_PERSON, COUNTED_PERSON, counted.webhooks[0].params["CallSid"])
    if not same_call(rewritten, counted.webhooks):
        raise RuntimeError("a recorded call rewritten for another person is not what that person sends")
    steps_per_call, nonce = len(call), secrets.token_hex(4)

    def calls(first: int, count: int) -> Iterable[list[Webhook]]:
        for index in range(first, first + count):
            yield for_person(call, RECORDED_PERSON, index, call_sid(index, nonce))

    rounds: list[tuple[Measured, Measured]] = []
    warm_faults: list[str] = []
    print(f"  the floor (bench.bare_app), WEB_CONCURRENCY {WORKERS} ...", flush=True)
    with Gunicorn("bench.bare_app:app", {"WEB_CONCURRENCY": WORKERS}) as floor:
        floor.wait_until_answering()
        floor_requests = work / "floor"
        write_requests(
            floor_requests, (for_floor(c) for c in calls(0, threads * FLOOR_CALLS_PER_THREAD)), floor.url, threads
        )
        warm = wrk_run(floor.url, floor_requests, threads, sizes["warmup_seconds"], wrap=True)
        print(f"    warm-up: {warm.steps_per_second:.0f} steps/s; {warm.describe()}", flush=True)
        warm_faults += _faults("floor warm-up", warm)
        bound = max(warm.steps_per_second, 100.0)  # the voice server answers fewer steps than the floor
        warm_calls = calls_for(sizes["warmup_seconds"], bound, steps_per_call, threads)
        round_calls = calls_for(sizes["seconds"], bound, steps_per_call, threads)
        people = warm_calls + sizes["rounds"] * round_calls
        print(f"  {people} synthetic people for the voice server ({round_calls} calls a round) ...", flush=True)
        flask(
            "registrations", "load-synthetic", "--start", str(FIRST_REPLAYED_PERSON), "--count", str(people),
            env=environment, capture=True,
        )  # fmt: skip
        vacuum_analyze(url)
        print(f"  the voice server over PostgreSQL, WEB_CONCURRENCY {WORKERS} ...", flush=True)
        with Gunicorn("app:app", {**environment, "WEB_CONCURRENCY": WORKERS}) as voice:
            voice.wait_until_answering()
            next_person = FIRST_REPLAYED_PERSON
            write_requests(work / "voice-warm-up", calls(next_person, warm_calls), voice.url, threads)
            next_person += warm_calls
            warm = wrk_run(voice.url, work / "voice-warm-up", threads, sizes["warmup_seconds"], wrap=False)
            print(f"    warm-up: {warm.steps_per_second:.0f} steps/s; {warm.describe()}", flush=True)
            warm_faults += _faults("voice warm-up", warm)
            for number in range(1, sizes["rounds"] + 1):
                print(f"  round {number}: the floor ...", flush=True)
                bare = measure(floor, floor_requests, sizes, wrap=True, database=True)
                _show(bare)
                directory = work / f"voice-{number}"
                write_requests(directory, calls(next_person, round_calls), voice.url, threads)
                next_person += round_calls
                print(f"  round {number}: the voice server ...", flush=True)
                stored_before = registrations(url)
                measured = measure(voice, directory, sizes, wrap=False, database=True)
                stored = registrations(url) - stored_before
                _show(measured)
                completed = measured.run["calls"]
                if not completed <= stored <= completed + threads:  # the calls cut short may have registered
                    measured.run.problems.append(
                        f"{stored} registrations stored for {completed} calls done ({threads} more may be cut short)"
                    )
                    measured.run.figures["wrong"] += 1
                rounds.append((bare, measured))
                shutil.rmtree(directory, ignore_errors=True)
    _report(section, rounds, counted, warm_faults, sizes, steps_per_call, round_calls)


def _faults(name: str, run: WrkRun) -> list[str]:
    if not run.faults and not run["exhausted"]:
        return []
    return [f"{name}: {run.describe()}{'; ran out of calls' if run['exhausted'] else ''}", *run.problems]


def _show(measured: Measured) -> None:
    run = measured.run
    print(
        f"    {run.steps_per_second:.0f} steps/s, p50 {run.ms('p50_us'):.1f} ms, p90 {run.ms('p90_us'):.1f} ms, "
        f"p99 {run.ms('p99_us'):.1f} ms (wrk's own p99 {run.ms('wrk_p99_us'):.1f} ms); CPU per step: server "
        f"{measured.server_ms:.2f} ms, database {measured.database_ms:.2f} ms, wrk {measured.wrk_ms:.2f} ms",
        flush=True,
    )
    print(f"    {run.describe()}", flush=True)
    if run.faults or run["exhausted"]:
        print("    !!! THIS RUN HAD ERRORS: its figures do not count", flush=True)
        for problem in run.problems:
            print(f"    !!! {problem}", flush=True)


def _cpu(measured: Sequence[Measured]) -> str:
    median = statistics.median
    return (
        f"{median(m.server_ms for m in measured):.2f} / {median(m.database_ms for m in measured):.2f} / "
        f"{median(m.wrk_ms for m in measured):.2f} ms"
    )


def _report(
    section: Section,
    rounds: list[tuple[Measured, Measured]],
    counted: PlayedCall,
    warm_faults: list[str],
    sizes: dict[str, int],
    steps_per_call: int,
    round_calls: int,
) -> None:
    median = statistics.median
    ratios = []
    for number, (bare, voice) in enumerate(rounds, start=1):
        ratio = voice.run.steps_per_second / bare.run.steps_per_second if bare.run.steps_per_second else 0.0
        ratios.append(ratio)
        section.add(
            f"Round {number}: steps/s, floor / voice server (ratio)",
            f"{bare.run.steps_per_second:,.0f} / {voice.run.steps_per_second:,.0f} ({ratio:.2f}×)",
        )
        section.add(
            f"Round {number}: step latency p50 / p90 / p99, floor",
            f"{bare.run.ms('p50_us'):.1f} / {bare.run.ms('p90_us'):.1f} / {bare.run.ms('p99_us'):.1f} ms",
        )
        section.add(
            f"Round {number}: step latency p50 / p90 / p99, voice server (wrk's corrected p99)",
            f"{voice.run.ms('p50_us'):.1f} / {voice.run.ms('p90_us'):.1f} / {voice.run.ms('p99_us'):.1f} ms "
            f"({voice.run.ms('wrk_p99_us'):.1f} ms)",
        )
        section.add(
            f"Round {number}: CPU per step (server / database / wrk), floor; voice server",
            f"{_cpu([bare])}; {_cpu([voice])}",
        )
        section.add(
            f"Round {number}: wrong answers / socket errors, floor; voice server",
            f"{bare.run['wrong']} / {bare.run.socket_errors}; {voice.run['wrong']} / {voice.run.socket_errors}",
        )
    bares, voices = [bare for bare, _ in rounds], [voice for _, voice in rounds]
    floor_rate = median(m.run.steps_per_second for m in bares)
    voice_rate = median(m.run.steps_per_second for m in voices)
    ratio, p99 = median(ratios), median(m.run.ms("p99_us") for m in voices)
    of = f"median of {len(rounds)} round{'s' if len(rounds) > 1 else ''}"
    section.add(f"Floor (bare Flask route): steps/s, {of}", f"{floor_rate:,.0f}")
    section.add(f"Voice server over PostgreSQL: steps/s, {of}", f"{voice_rate:,.0f}")
    section.add(f"Ratio to the floor, {of}", f"{ratio:.2f}×", f"≥ {TARGET_RATIO}×", ratio >= TARGET_RATIO)
    section.add(
        f"Voice server: step latency p50 / p99, {of}",
        f"{median(m.run.ms('p50_us') for m in voices):.1f} / {p99:.1f} ms",
        f"p99 < {TARGET_P99_MS} ms",
        p99 < TARGET_P99_MS,
    )
    section.add("Floor: CPU per step, server / database / wrk", _cpu(bares))
    section.add("Voice server: CPU per step, server / database / wrk", _cpu(voices))
    statements, transactions, round_trips = (sum(t[i] for t in counted.traffic) for i in range(3))
    steps = len(counted.traffic)
    section.add(
        "Voice server: SQL statements / transactions / round trips per step",
        f"{statements / steps:.1f} / {transactions / steps:.1f} / {round_trips / steps:.1f}",
    )
    faults = [
        f"round {number}, {name}: {measured.run.describe()}"
        for number, pair in enumerate(rounds, start=1)
        for name, measured in zip(("floor", "voice"), pair, strict=True)
        if measured.run.faults
    ]
    problems = [p for pair in rounds for m in pair for p in m.run.problems]
    exhausted = sum(m.run["exhausted"] for pair in rounds for m in pair)
    clean = not faults and not warm_faults and not exhausted
    section.add(
        "Wrong answers and socket errors",
        "none" if clean else f"{sum(m.run.faults for pair in rounds for m in pair)} (see below)",
        "none",
        clean,
    )
    per_webhook = ", ".join(
        f"{_webhook_name(w)} {t[0]}/{t[2]}" for w, t in zip(counted.webhooks, counted.traffic, strict=True)
    )
    print(f"    statements / round trips of each webhook: {per_webhook}", flush=True)
    threads = sizes["connections"]
    section.notes += [
        f"wrk {sizes['connections']} threads of one connection each (`wrk -t{threads} -c{threads}`), "
        f"{sizes['seconds']} s a run after {sizes['warmup_seconds']} s of warm-up each, the floor and the voice "
        f"server in turns (A B × {len(rounds)}), each under gunicorn.conf.py with WEB_CONCURRENCY {WORKERS}; "
        "PostgreSQL on the same machine, SMS queued and not sent (IVR_SMS_SENDER=off).",
        f"A call is scenarios/load/complete_registration.yaml: {steps_per_call} webhooks (incoming, each step, "
        "the status callback), recorded by playing it in-process over the benchmark's database, rewritten for "
        "each synthetic person (CallSid, From, CIN digits, birth date) and signed for the server's URL. A wrk "
        "thread plays its calls one after the other, each step sent once the previous one is answered; each "
        f"voice run plays people never played before ({round_calls} calls prepared a run, more than it can finish).",
        "Every answer is checked (bench/webhooks.lua): the status, and the next step's action (?seq=N) or the "
        "recorded goodbye; after a voice run, the registrations stored must match the calls finished.",
        "Steps/s and latencies count the answers while all connections were sending; latency is each "
        "request's round trip as wrk's connection sees it (wrk's own percentiles add the requests a stalled "
        "connection would have sent). CPU per step: the server's workers, every PostgreSQL process of the "
        "machine, and wrk, over the whole run.",
        f"SQL statements / round trips of each webhook (one call played in-process after another, counted with "
        f"SQLAlchemy's events; a round trip is psycopg's BEGIN, each statement, COMMIT or ROLLBACK): {per_webhook}.",
    ]
    if not clean:
        print("  !!! ERRORS: some answers were wrong or lost; the figures above do not count", flush=True)
        section.notes += [
            "**ERRORS: this run's figures do not count.**",
            *(f"`{line[:300]}`" for line in warm_faults + faults + problems[:10]),
        ]
        if exhausted:
            section.notes.append(f"{exhausted} wrk threads ran out of calls before the end of their run.")


def _webhook_name(webhook: Webhook) -> str:
    return webhook.path.rsplit("/", 1)[-1]
