"""A deployment: gunicorn server processes and SMS workers over one PostgreSQL database."""

from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from ivr.callflow.actions.guidance import opening_hours
from ivr.factory import create_app
from ivr.registration import registration_numbers
from ivr.registration.importer import import_liaison_list
from ivr.settings import DEFAULTS
from ivr.simulator.caller import SimulatedCaller
from ivr.store.models import CallEvent, CallSession, Registration, SmsOutbox
from ivr.web.extension import runtime_of
from tests.concurrency import all_at_once
from tests.conftest import ACCOUNT_SID, AMINA, AUTH_TOKEN, MEHDI, PEOPLE_CSV
from tests.integration.sms_support import add_registration, ask
from tests.postgres import postgres_database
from tests.waiting import wait_until

from .conftest import Voice, choose, identify
from .servers import AlternatingHttpTransport, Server, TcpProxy, sms_worker
from .test_concurrent_calls import crowd_csv

pytestmark = pytest.mark.postgres

PUBLIC_BASE = "https://ivr.example.org"  # what Twilio calls; every server checks signatures against it
CROWD = 50
QUEUED_SMS = 30


@pytest.fixture
def database():
    """A fresh PostgreSQL database, left for the servers to migrate as they start."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def environment(settings, database):
    """The environment of every process of the deployment."""
    return {
        "DATABASE_URL": database,
        "IVR_SECRET_KEY": settings["IVR_SECRET_KEY"],
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": settings["TWILIO_API_BASE_URL"],
        "PUBLIC_BASE_URL": PUBLIC_BASE,
        "ADVISOR_HOURS": "mon-sun 00:00-23:59",
        "IVR_SMS_SENDER": "off",
    }


@pytest.fixture
def servers(environment, tmp_path):
    """Two gunicorn servers started at once on the fresh database (they migrate it together)."""
    started = [Server(environment, tmp_path / f"server-{i}.log") for i in range(2)]
    try:
        for server in started:
            server.wait_until_listening()
        yield started
    finally:
        statuses = [server.stop() for server in started]
    assert statuses == [0, 0], "\n".join(server.log() for server in started)


@pytest.fixture
def operator(settings, database):
    """The app of an operator's process on the same database: imports the lists, reads the store."""
    app = create_app({**settings, "DATABASE_URL": database, "PUBLIC_BASE_URL": PUBLIC_BASE})
    yield runtime_of(app)
    runtime_of(app).store.dispose()


def caller_through(server_urls, from_number, public_base=PUBLIC_BASE, **transport_options):
    transport = AlternatingHttpTransport(public_base, server_urls, **transport_options)
    caller = SimulatedCaller(
        transport, base_url=public_base, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, from_number=from_number
    )
    return caller, transport


def advisors_answer_now(environment) -> bool:
    """Tell whether the servers put a caller through now: they run on the real clock, closed on public holidays."""
    return opening_hours({**DEFAULTS, **environment}).is_open(datetime.now(UTC).replace(tzinfo=None))


def count(rt, query) -> int:
    with rt.store.transaction() as db:
        return db.scalar(query)


def test_a_call_whose_webhooks_alternate_between_two_server_processes_completes(servers, operator):
    import_liaison_list(operator, PEOPLE_CSV.splitlines(keepends=True))
    caller, transport = caller_through([server.url for server in servers], AMINA.mobile)
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    caller.press("1")
    turn = caller.press("1")
    caller.hangup()
    assert "Votre numéro d'immatriculation est" in turn.heard_text()
    assert set(transport.sent_to) == {server.url for server in servers} and len(transport.sent_to) >= 6
    with operator.store.transaction() as db:
        [registration] = db.scalars(select(Registration)).all()
        call = db.scalars(select(CallSession).where(CallSession.call_sid == caller.call_sid)).one()
    assert registration.mobile == AMINA.mobile and registration_numbers.is_valid(registration.number)
    assert call.status == "ended"

    def access_log() -> str:
        return "".join(server.log() for server in servers)

    # gunicorn writes a request's access line after its response went out: wait for every line.
    wait_until(
        lambda: access_log().count('"POST /voice/') >= len(transport.sent_to),
        f"the access lines of the {len(transport.sent_to)} webhooks",
        describe=access_log,
    )
    assert '"POST /voice/step" 200' in access_log() and "seq=" not in access_log()  # no query strings logged


def test_fifty_registrations_completed_at_once_on_two_servers_get_fifty_distinct_numbers(servers, operator):
    assert import_liaison_list(operator, crowd_csv(CROWD)).imported == CROWD
    urls = [server.url for server in servers]

    def complete(i):
        caller, _ = caller_through(urls[i % 2 :] + urls[: i % 2], f"+2126300000{i:02d}")
        choose(caller, "fr", "1")
        caller.press(f"{900000 + i}#")
        caller.press("01011980")
        caller.press("1")
        assert "Votre numéro d'immatriculation est" in caller.press("1").heard_text()

    all_at_once([lambda i=i: complete(i) for i in range(CROWD)])
    with operator.store.transaction() as db:
        found = db.scalars(select(Registration.number)).all()
    assert len(found) == CROWD and len(set(found)) == CROWD and all(registration_numbers.is_valid(n) for n in found)
    # Allocated by a locked counter row: no number lost either.
    assert sorted(int(n[:8]) for n in found) == list(
        range(registration_numbers.FIRST, registration_numbers.FIRST + CROWD)
    )


def test_two_sms_workers_over_one_outbox_send_each_sms_exactly_once(operator, environment, twilio_api, tmp_path):
    for i in range(QUEUED_SMS):
        registration_id = add_registration(operator, number=f"{100000000 + i}", mobile=f"+21266100{i:04d}")
        assert ask(operator, registration_id, f"CA{i}:1") == "queued"
    workers = [sms_worker(environment, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        unsent = select(func.count()).select_from(SmsOutbox).where(SmsOutbox.status.in_(["pending", "sending"]))

        def all_sent() -> bool:
            for worker in workers:
                worker.check_running()
            return count(operator, unsent) == 0

        wait_until(
            all_sent,
            f"two workers to send {QUEUED_SMS} SMS",
            describe=lambda: "\n".join(worker.log() for worker in workers),
        )
    finally:
        statuses = [worker.stop() for worker in workers]
    logs = "\n".join(worker.log() for worker in workers)
    assert statuses == [0, 0], logs
    assert logs.count("sms worker: stopped") == 2
    messages = twilio_api.messages_to()
    assert len(messages) == QUEUED_SMS and len({m["to"] for m in messages}) == QUEUED_SMS
    with operator.store.transaction() as db:
        rows = db.scalars(select(SmsOutbox)).all()
    assert {row.status for row in rows} == {"sent"}
    assert sorted(row.message_sid for row in rows) == sorted(m["sid"] for m in messages)


def test_a_call_that_loses_the_database_hears_the_apology_and_the_next_call_works_once_it_is_back(
    operator, environment, database, tmp_path
):
    import_liaison_list(operator, PEOPLE_CSV.splitlines(keepends=True))
    voice = Voice(operator)
    with TcpProxy(database) as proxy:
        server = Server({**environment, "DATABASE_URL": proxy.database_url(database)}, tmp_path / "server.log")
        try:
            server.wait_until_listening()
            caller, _ = caller_through([server.url], AMINA.mobile)
            choose(caller, "fr", "1")
            identify(caller, AMINA)
            caller.press("1")  # the category confirmed; the next key confirms the mobile and completes
            before = voice.session(caller)
            events = count(operator, select(func.count()).select_from(CallEvent))

            proxy.cut()
            turn = caller.press("1")
            heard = [utterance.text for utterance in turn.heard]
            assert voice.text("error.apology", "fr") in heard and voice.text("error.apology", "ar") in heard
            if advisors_answer_now(environment):
                assert turn.dial is not None and turn.dial.number == operator.settings["ADVISOR_NUMBER"]
            else:  # a public holiday (or the day's last minute): the apology gives the opening hours instead
                assert turn.dial is None and "Nos conseillers vous répondent" in turn.heard_text()
            assert server.health() == 503

            proxy.restore()
            wait_until(
                lambda: server.health() == 200,
                "the server's health check to say ok again",
                ignoring=(requests.Timeout,),
                describe=server.log,
            )
            after = voice.session(caller)
            assert (after.seq, after.flow, after.state) == (before.seq, before.flow, before.state)
            assert count(operator, select(func.count()).select_from(CallEvent)) == events
            assert count(operator, select(func.count()).select_from(Registration)) == 0
            assert count(operator, select(func.count()).select_from(SmsOutbox)) == 0

            next_caller, _ = caller_through([server.url], MEHDI.mobile)
            choose(next_caller, "fr", "1")
            identify(next_caller, MEHDI)
            next_caller.press("1")
            assert "Votre numéro d'immatriculation est" in next_caller.press("1").heard_text()
        finally:
            status = server.stop()
    assert status == 0, server.log()


def test_behind_a_tls_proxy_signatures_are_checked_against_the_https_url_twilio_called(environment, tmp_path):
    server = Server({**environment, "PUBLIC_BASE_URL": ""}, tmp_path / "server.log", workers=1)
    try:
        server.wait_until_listening()
        https_base = server.url.replace("http://", "https://")
        through_proxy, _ = caller_through(
            [server.url], AMINA.mobile, https_base, extra_headers={"X-Forwarded-Proto": "https"}
        )
        turn = through_proxy.dial()
        assert turn.status == 200 and turn.gather is not None
        forged, _ = caller_through([server.url], AMINA.mobile, https_base)  # https signed, no proxy header
        assert forged.post("/voice/incoming", forged.call_params()).status_code == 403
    finally:
        status = server.stop()
    assert status == 0, server.log()
