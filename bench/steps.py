"""Call steps: full registrations against gunicorn over PostgreSQL and SQLite, beside a bare route's floor."""

from __future__ import annotations

import os
import runpy
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import PROJECT_DIR, Section, create_postgres_database, drop_postgres_database, flask
from bench.load import LoadRun, drive
from bench.processes import CpuMeter, Gunicorn, named

REGISTRATION = PROJECT_DIR / "scenarios" / "load" / "complete_registration.yaml"
BARE_CALL = PROJECT_DIR / "bench" / "scenarios" / "bare_call.yaml"
SECRET = "bench-secret-key-of-the-synthetic-people"
TARGET_RATIO, TARGET_STEPS, TARGET_P99_MS = 0.35, 1000, 50
LIGHT_CONCURRENCY = 4  # callers at a time in the light-load run: the latency when the machine is not saturated
# The floor and the PostgreSQL server run as many processes as a PostgreSQL deployment does by default
# (gunicorn.conf.py); the SQLite server runs the one process SQLite supports.
WORKERS = str(max(2, os.cpu_count() or 1))


@dataclass
class Measured:
    """One server's run: the load report and the CPU milliseconds each side spent per step."""

    name: str
    run: LoadRun
    server_ms: float
    database_ms: float

    @property
    def steps(self) -> int:
        return len(self.run.report.latencies)

    @property
    def client_ms(self) -> float:
        return 1000 * self.run.client_cpu_seconds / max(1, self.steps)


def settings(quick: bool) -> dict[str, int]:
    """Return the sizes of a run (callers, concurrency, client processes, warm-up callers); BENCH_* overrides."""
    return {
        "callers": int(os.environ.get("BENCH_CALLERS", 40 if quick else 1000)),
        "concurrency": int(os.environ.get("BENCH_CONCURRENCY", 16)),
        "processes": int(os.environ.get("BENCH_CLIENT_PROCESSES", 2)),
        "warmup": int(os.environ.get("BENCH_WARMUP_CALLERS", 8 if quick else 100)),
    }


def light_callers(sizes: dict[str, int]) -> int:
    """Return how many calls the light-load run plays: a third of the full run's."""
    return max(1, sizes["callers"] // 3)


def run(quick: bool) -> Section:
    sizes = settings(quick)
    section = Section("steps", "Call steps", "scripts/bench steps")
    measured = [_bare(sizes)]
    try:
        url = create_postgres_database("steps")
    except Exception as error:  # no server: the SQLite figures still stand, and the reason is printed
        section.add("PostgreSQL", f"skipped: {str(error).splitlines()[0]}")
    else:
        try:
            measured += _voice_server("PostgreSQL", url, sizes, light_load=True)
        finally:
            drop_postgres_database(url)
    directory = Path(tempfile.mkdtemp(prefix="bench-steps-"))
    try:
        measured += _voice_server("SQLite", f"sqlite:///{directory / 'ivr.sqlite3'}", sizes)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    _report(section, measured, sizes)
    return section


def _bare(sizes: dict[str, int]) -> Measured:
    print("  the bare route ...", flush=True)
    with Gunicorn("bench.bare_app:app", {"WEB_CONCURRENCY": WORKERS}) as server:
        server.wait_until_answering()
        return _measure("bare route", server, BARE_CALL, sizes, database=False)


def _voice_server(name: str, database_url: str, sizes: dict[str, int], light_load: bool = False) -> list[Measured]:
    """Measure the voice server at full load and, when asked, at a light load (LIGHT_CONCURRENCY at a time)."""
    print(f"  the voice server over {name} ...", flush=True)
    light = {**sizes, "callers": light_callers(sizes), "concurrency": LIGHT_CONCURRENCY}
    environment = {"DATABASE_URL": database_url, "IVR_SECRET_KEY": SECRET, "IVR_SMS_SENDER": "off"}
    people = sizes["warmup"] + sizes["callers"] + (light["callers"] if light_load else 0)
    flask("db", "upgrade", env=environment, capture=True)
    flask("registrations", "load-synthetic", "--count", str(people), env=environment, capture=True)
    postgres = database_url.startswith("postgresql")
    with Gunicorn("app:app", {**environment, "WEB_CONCURRENCY": WORKERS} if postgres else environment) as server:
        server.wait_until_answering()
        measured = [_measure(name, server, REGISTRATION, sizes, database=postgres)]
        if light_load:
            print(f"  the voice server over {name}, {LIGHT_CONCURRENCY} callers at a time ...", flush=True)
            measured.append(
                _measure(
                    f"{name}, light load",
                    server,
                    REGISTRATION,
                    light,
                    database=postgres,
                    first_person=sizes["warmup"] + sizes["callers"],
                    warm=False,
                )
            )
        return measured


def _measure(
    name: str,
    server: Gunicorn,
    scenario: Path,
    sizes: dict[str, int],
    database: bool,
    first_person: int | None = None,
    warm: bool = True,
) -> Measured:
    """Warm every worker up, then play the measured callers while counting each side's CPU."""
    if warm:
        drive(scenario, server.url, sizes["warmup"], sizes["concurrency"], 0, sizes["processes"])
    first = sizes["warmup"] if first_person is None else first_person
    server_cpu, database_cpu = CpuMeter(server.workers), CpuMeter(lambda: named("postgres") if database else [])
    server_cpu.start(), database_cpu.start()
    run = drive(scenario, server.url, sizes["callers"], sizes["concurrency"], first, sizes["processes"])
    steps = max(1, len(run.report.latencies))
    measured = Measured(name, run, 1000 * server_cpu.stop() / steps, 1000 * database_cpu.stop() / steps)
    for line in run.report.lines():
        print(f"    {line}", flush=True)
    return measured


def _report(section: Section, measured: list[Measured], sizes: dict[str, int]) -> None:
    bare = measured[0]
    for one in measured:
        report = one.run.report
        rate = report.steps_per_second
        is_postgres = one.name == "PostgreSQL"
        section.add(
            f"{one.name}: steps/s",
            f"{rate:.0f}",
            f"≥ {TARGET_STEPS}" if is_postgres else "",
            rate >= TARGET_STEPS if is_postgres else None,
        )
        section.add(
            f"{one.name}: step latency p50 / p95 / p99",
            f"{report.percentile(50):.1f} / {report.percentile(95):.1f} / {report.percentile(99):.1f} ms",
            f"p99 < {TARGET_P99_MS} ms" if is_postgres else "",
            report.percentile(99) < TARGET_P99_MS if is_postgres else None,
        )
        section.add(
            f"{one.name}: calls completed / failed / errors",
            f"{report.completed} / {report.failed} / {report.errors} of {report.callers}",
            "all completed",
            report.completed == report.callers,
        )
        section.add(
            f"{one.name}: CPU per step, server / database / client",
            f"{one.server_ms:.2f} / {one.database_ms:.2f} / {one.client_ms:.2f} ms",
        )
        if one is not bare and one.run.report.callers and "light" not in one.name:
            ratio = rate / bare.run.report.steps_per_second if bare.run.report.steps_per_second else 0.0
            section.add(
                f"{one.name}: ratio to the bare route", f"{ratio:.2f}×", f"≥ {TARGET_RATIO}×", ratio >= TARGET_RATIO
            )
    threads = runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))["threads"]  # in this environment
    section.notes += [
        f"Each run: {sizes['callers']} calls ({sizes['warmup']} more to warm up), {sizes['concurrency']} at a time, "
        f"from {sizes['processes']} client processes (the simulator's many-callers mode, signed webhooks over "
        f"HTTP); one step is one webhook round trip. Gunicorn: WEB_CONCURRENCY {WORKERS} for the floor and "
        f"PostgreSQL, 1 for SQLite (the one process it supports), GUNICORN_THREADS {threads}.",
        "The call is scenarios/load/complete_registration.yaml (a whole registration: language, menu, CIN, "
        "birth date, category, mobile, number and SMS queued, time-out, goodbye: 9 requests); the floor plays "
        "bench/scenarios/bare_call.yaml, as many requests against bench/bare_app.py.",
        "Client, server and database share the machine's cores: CPU per step says where they go (the "
        "database's is that of every PostgreSQL process of the machine during the run).",
        f"The light-load run: {light_callers(sizes)} more calls on the same PostgreSQL server, "
        f"{LIGHT_CONCURRENCY} at a time: the latency of a step when the machine is not saturated.",
        "SMS are queued in the outbox by the steps and not sent (IVR_SMS_SENDER=off): sending is the SMS "
        "workers' job, outside the call path.",
    ]
