"""Memory: the resident memory of one server process while it takes 10,000 whole registrations."""

from __future__ import annotations

import os

from bench.common import Section, create_postgres_database, drop_postgres_database, flask
from bench.load import drive, split
from bench.processes import Gunicorn, rss_mib
from bench.steps import REGISTRATION, SECRET

CALLS, ROUNDS, WARMUP = 10_000, 5, 100
# After the warm-up, a process that keeps nothing per call stays flat; caches fill within the first round.
MAX_GROWTH_MIB = 5.0


def run(quick: bool) -> Section:
    section = Section("memory", "Memory of one server process", "scripts/bench memory")
    calls, warmup = (200, 20) if quick else (CALLS, WARMUP)
    try:
        url = create_postgres_database("memory")
    except Exception as error:
        section.add("PostgreSQL", f"skipped: {str(error).splitlines()[0]}")
        return section
    try:
        _measure(section, url, calls, warmup)
    finally:
        drop_postgres_database(url)
    return section


def _measure(section: Section, url: str, calls: int, warmup: int) -> None:
    environment = {"DATABASE_URL": url, "IVR_SECRET_KEY": SECRET, "IVR_SMS_SENDER": "off", "WEB_CONCURRENCY": "1"}
    flask("db", "upgrade", env=environment, capture=True)
    flask("registrations", "load-synthetic", "--count", str(warmup + calls), env=environment, capture=True)
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", 16))
    with Gunicorn("app:app", environment) as server:
        server.wait_until_answering()
        [worker] = server.workers()
        drive(REGISTRATION, server.url, warmup, concurrency, 0)
        samples = [(0, rss_mib(worker))]
        done, failed = 0, 0
        for share in split(calls, ROUNDS):
            report = drive(REGISTRATION, server.url, share, concurrency, warmup + done).report
            done += share
            failed += report.callers - report.completed
            samples.append((done, rss_mib(worker)))
            print(f"    after {done} calls: {samples[-1][1]:.1f} MiB", flush=True)
    start, first_round, last = samples[0][1], samples[1][1], samples[-1][1]
    section.add("RSS after the warm-up", f"{start:.1f} MiB")
    section.add(f"RSS after {done:,} calls", f"{last:.1f} MiB")
    section.add(
        f"growth from {samples[1][0]:,} to {done:,} calls",
        f"{last - first_round:+.1f} MiB",
        f"< {MAX_GROWTH_MIB:.0f} MiB (flat)",
        last - first_round < MAX_GROWTH_MIB,
    )
    section.add("calls not completed", str(failed), "0", failed == 0)
    section.notes += [
        "RSS by round: " + ", ".join(f"{count:,} calls {mib:.1f} MiB" for count, mib in samples) + ".",
        f"One gunicorn worker (WEB_CONCURRENCY=1, GUNICORN_THREADS {os.environ.get('GUNICORN_THREADS') or 'default'}) "
        f"over PostgreSQL, {warmup} calls to warm up, then whole registrations "
        f"(scenarios/load/complete_registration.yaml) {concurrency} at a time; RSS read from /proc/PID/status.",
    ]
