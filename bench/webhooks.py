"""Call steps measured by wrk: precomputed, signed webhooks of whole registrations against gunicorn over PostgreSQL.

bench/steps.py measures a step as a Python caller sees it (the simulator spends about 1.6 ms of CPU
per step of its own); here a C load generator replays the webhooks Twilio would send, so that the
figures are the server's. The call is recorded once, played in-process over the benchmark's own
database, then rewritten for each synthetic person (CallSid, calling number, CIN digits, birth date)
and signed for the server's URL. Each wrk thread has one connection and plays its calls' steps in
order (bench/webhooks.lua); the floor (bench/bare_app.py) and the voice server are measured in turns.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask
from psycopg import pq
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator

from bench.common import PROJECT_DIR, Section, create_postgres_database, drop_postgres_database, flask
from bench.processes import CpuMeter, Gunicorn, named
from ivr.settings import DEMO_AUTH_TOKEN
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.played import play_lookup
from ivr.simulator.recognise import Recogniser
from ivr.simulator.replay import Player
from ivr.simulator.scenario import load as load_scenario
from ivr.simulator.testdata import synthetic_person
from ivr.simulator.transports import FlaskTransport, RawResponse
from ivr.store.models import Registration
from ivr.web.app import create_web_app
from ivr.web.extension import runtime_of

REGISTRATION = PROJECT_DIR / "scenarios" / "load" / "complete_registration.yaml"
SCRIPT = PROJECT_DIR / "bench" / "webhooks.lua"
SECRET = "bench-secret-key-of-the-synthetic-people"
TARGET_RATIO, TARGET_P99_MS = 0.35, 50
WORKERS = str(max(2, os.cpu_count() or 1))  # as bench/steps.py: the processes of a PostgreSQL deployment
RECORDED_PERSON, COUNTED_PERSON, FIRST_REPLAYED_PERSON = 0, 1, 2  # 0 and 1 are played in-process
RECORDING_BASE_URL = "http://localhost"  # the in-process app's address (Flask's test client)
CALLS_MARGIN = 2.0  # calls prepared for a voice run: as many as its length at the floor's warm-up rate, twice over
FLOOR_CALLS_PER_THREAD = 8  # the floor keeps no state: its threads play their calls over and over
WRK_TIMEOUT = "20s"  # longer than a webhook may take (the server's database timeouts, then its apology)


@dataclass(frozen=True)
class Webhook:
    """One request Twilio sends during a call, and what the answer must be: its status and a text it contains."""

    path: str  # with the query: /voice/step?seq=3
    params: dict[str, str]
    status: int
    expect: str = ""


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


def auth_token() -> str:
    """Return the token the servers check signatures with: theirs is TWILIO_AUTH_TOKEN when set, else the demo's."""
    return os.environ.get("TWILIO_AUTH_TOKEN") or DEMO_AUTH_TOKEN


# The requests.


def expected_text(body: str) -> str:
    """Return what a replayed answer must contain: the next step's action (?seq=N"), else the recorded answer itself.

    An answer naming a URL other than its action is not compared: it names the recording's address.
    """
    start = body.find("?seq=")
    if start >= 0:
        end = body.find('"', start)
        if end > start and body[start + len("?seq=") : end].isdigit():
            return body[start : end + 1]
    return body if body and "://" not in body else ""


def person_values(index: int) -> dict[str, str]:
    """Return what synthetic person index sends that no other person does: calling number, CIN digits, birth date."""
    person = synthetic_person(index)
    return {"mobile": person.mobile or "", "cin_digits": person.cin_digits, "birth_date": person.birth_date}


def check_recording(call: Sequence[Webhook], played_by: int) -> None:
    """Refuse a recording that for_person could not rewrite: every person's value must be sent as it is."""
    sent = {value for webhook in call for value in webhook.params.values()}
    missing = [name for name, value in person_values(played_by).items() if value not in sent]
    if missing or not call or "CallSid" not in call[0].params:
        raise ValueError(
            f"the recorded call never sends the caller's {', '.join(missing) or 'CallSid'} as a parameter: "
            f"{REGISTRATION.name} changed; bench/webhooks.py's for_person must learn the new call"
        )


def for_person(call: Sequence[Webhook], played_by: int, index: int, call_sid: str) -> list[Webhook]:
    """Return a call recorded with person played_by as synthetic person index makes it, under its own CallSid."""
    old, new = person_values(played_by), person_values(index)
    swaps = {call[0].params["CallSid"]: call_sid, **{old[name]: new[name] for name in old}}
    return [replace(webhook, params={k: swaps.get(v, v) for k, v in webhook.params.items()}) for webhook in call]


def for_floor(call: Sequence[Webhook]) -> list[Webhook]:
    """Return a call's webhooks with the floor's answers: a <Gather> to every step, 204 to the status callback."""
    return [
        replace(webhook, status=204, expect="")
        if webhook.path.startswith("/voice/status")
        else replace(webhook, status=200, expect="<Gather")
        for webhook in call
    ]


def call_sid(index: int, nonce: str) -> str:
    """Return a CallSid as Twilio makes them (CA and 32 hex digits), distinct for each person and run."""
    return f"CA{nonce}{index:0{32 - len(nonce)}x}"


def request_line(webhook: Webhook, base_url: str, validator: RequestValidator, ends_call: bool) -> str:
    """Say one request as bench/webhooks.lua reads it, signed over the URL the server sees."""
    signature = validator.compute_signature(base_url + webhook.path, webhook.params)
    fields = (webhook.path, signature, urlencode(webhook.params), str(webhook.status), quote(webhook.expect, safe=""))
    if any(separator in value for value in fields for separator in "\t\n"):
        raise ValueError(f"a request of {webhook.path} cannot be written on one line")
    return "\t".join((*fields, "1" if ends_call else "0"))


def write_requests(directory: Path, calls: Iterable[Sequence[Webhook]], base_url: str, threads: int) -> int:
    """Write each wrk thread's file: call i goes to thread i % threads, steps in order; return the calls written."""
    directory.mkdir(parents=True, exist_ok=True)
    validator = RequestValidator(auth_token())
    files = [(directory / f"thread-{number}.tsv").open("w", encoding="utf-8") for number in range(threads)]
    count = 0
    try:
        for count, call in enumerate(calls, start=1):
            out = files[(count - 1) % threads]
            for position, webhook in enumerate(call, start=1):
                out.write(request_line(webhook, base_url, validator, position == len(call)) + "\n")
    finally:
        for out in files:
            out.close()
    if count < threads:
        raise ValueError(f"{count} calls for {threads} connections: each needs one at least")
    return count


def calls_for(seconds: float, steps_per_second: float, steps_per_call: int, threads: int) -> int:
    """Return more calls than a run of seconds can finish at steps_per_second, the same number for each thread."""
    per_thread = math.ceil(seconds * steps_per_second * CALLS_MARGIN / steps_per_call / threads) + 1
    return per_thread * threads


# One call played in-process: the recording, and its statements and round trips.


class DatabaseTraffic:
    """Count an engine's SQL statements, transactions and round trips to the server.

    psycopg 3 outside pipeline mode waits for the answer to each: the BEGIN it sends before a
    transaction's first statement, each statement, the COMMIT or ROLLBACK of a transaction that ran one.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements = self.transactions = self.round_trips = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.transactions, self.round_trips

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)

    def _statement(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if _idle(getattr(cursor, "connection", None)) and not getattr(cursor.connection, "autocommit", True):
            self.round_trips += 1  # BEGIN
        self.statements += 1
        self.round_trips += 1

    def _end(self, connection) -> None:
        driver = connection.connection.dbapi_connection
        if driver is not None and not _idle(driver):
            self.transactions += 1
            self.round_trips += 1


def _idle(driver: Any) -> bool:
    """Tell whether a psycopg connection is outside a transaction."""
    info = getattr(driver, "info", None)
    return info is not None and info.transaction_status == pq.TransactionStatus.IDLE


@dataclass
class PlayedCall:
    """One call played in-process: its webhooks, and the database traffic of each."""

    webhooks: list[Webhook]
    traffic: list[tuple[int, int, int]]  # statements, transactions, round trips of each webhook


class _RecordingTransport:
    """Deliver a caller's requests to the app in-process, keeping each with its answer and its database traffic."""

    def __init__(self, app: Flask, traffic: DatabaseTraffic, played: PlayedCall):
        self.inner, self.traffic, self.played = FlaskTransport(app, RECORDING_BASE_URL), traffic, played

    def send(self, method: str, url: str, params: dict[str, str], headers: dict[str, str]) -> RawResponse:
        if method != "POST" or not url.startswith(RECORDING_BASE_URL + "/"):
            raise ValueError(f"the recorded call sent {method} {url}: only POSTs to the server are replayed")
        before = self.traffic.snapshot()
        answer = self.inner.send(method, url, params, headers)
        after = self.traffic.snapshot()
        path = url[len(RECORDING_BASE_URL) :]
        self.played.webhooks.append(Webhook(path, dict(params), answer.status_code, expected_text(answer.text)))
        self.played.traffic.append((after[0] - before[0], after[1] - before[1], after[2] - before[2]))
        return answer


class _InProcessTarget:
    """The app in-process as the simulator's target: one recorded call at a time, no SMS to check."""

    sms_unavailable = "the benchmark's in-process call checks no SMS"
    sms_wait = 0.0

    def __init__(self, app: Flask, traffic: DatabaseTraffic, played: PlayedCall):
        self.app, self.traffic, self.played = app, traffic, played
        rt = runtime_of(app)
        library = rt.extras.get("audio")
        self.recogniser = Recogniser(rt.catalog, play_lookup(rt.catalog, library) if library else None)

    def caller(self, from_number: str) -> SimulatedCaller:
        transport = _RecordingTransport(self.app, self.traffic, self.played)
        return SimulatedCaller(transport, base_url=RECORDING_BASE_URL, auth_token=auth_token(), from_number=from_number)

    def sms_to(self, to: str) -> list[dict]:
        return []

    def transfer_reason(self, call_sid: str) -> str | None:
        return None


def play_in_process(database_url: str, people: Sequence[int]) -> list[PlayedCall]:
    """Play the registration in-process over the database, as each person in turn, counting the database traffic."""
    app = create_web_app(
        {
            "DATABASE_URL": database_url,
            "IVR_SECRET_KEY": SECRET,
            "IVR_SMS_SENDER": "off",
            "PUBLIC_BASE_URL": RECORDING_BASE_URL,
            "TWILIO_AUTH_TOKEN": auth_token(),
        }
    )
    logging.getLogger("ivr").setLevel(logging.WARNING)  # each step's INFO lines are not the benchmark's
    store = runtime_of(app).store
    scenario = load_scenario(REGISTRATION)
    traffic = DatabaseTraffic(store.engine)
    played: list[PlayedCall] = []
    try:
        for index in people:
            played.append(PlayedCall([], []))
            person = synthetic_person(index)
            outcome = Player(scenario, _InProcessTarget(app, traffic, played[-1]), person, person.mobile or "").play()
            if not outcome.passed:
                raise RuntimeError(
                    f"the registration played in-process as person {index} failed: {outcome.mismatch or outcome.error}"
                )
    finally:
        traffic.remove()
        store.dispose()
    return played


def same_call(replayed: Sequence[Webhook], played: Sequence[Webhook]) -> bool:
    """Tell whether a rewritten call sends what the person really sent, bar the CallSid and the status's times."""
    varying = {"CallSid", "CallDuration", "Timestamp"}

    def key(webhook: Webhook) -> tuple:
        params = {k: v for k, v in webhook.params.items() if k not in varying}
        return webhook.path, sorted(params.items()), webhook.status, webhook.expect

    return [key(w) for w in replayed] == [key(w) for w in played]


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
