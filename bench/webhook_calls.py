"""The webhooks of whole registrations for bench/webhooks.py: recorded in-process, rewritten per person, signed.

The registration is played once in-process over the benchmark's database (counting each webhook's statements
and round trips), then rewritten for each synthetic person (CallSid, calling number, CIN digits, birth date)
and written as each wrk thread's file of signed requests (bench/webhooks.lua reads them).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator

from bench.common import PROJECT_DIR
from ivr.settings import DEMO_AUTH_TOKEN
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.played import play_lookup
from ivr.simulator.recognise import Recogniser
from ivr.simulator.replay import Player
from ivr.simulator.scenario import load as load_scenario
from ivr.simulator.testdata import synthetic_person
from ivr.simulator.transports import FlaskTransport, RawResponse
from ivr.web.app import create_web_app
from ivr.web.extension import runtime_of

REGISTRATION = PROJECT_DIR / "scenarios" / "load" / "complete_registration.yaml"
SECRET = "bench-secret-key-of-the-synthetic-people"
RECORDING_BASE_URL = "http://localhost"  # the in-process app's address (Flask's test client)
CALLS_MARGIN = 2.0  # calls prepared for a voice run: as many as its length at the floor's warm-up rate, twice over


@dataclass(frozen=True)
class Webhook:
    """One request Twilio sends during a call, and what the answer must be: its status and a text it contains."""

    path: str  # with the query: /voice/step?seq=3
    params: dict[str, str]
    status: int
    expect: str = ""


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
            f"{REGISTRATION.name} changed; bench/webhook_calls.py's for_person must learn the new call"
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
