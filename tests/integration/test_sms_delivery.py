"""Credentials SMS: the outbox and its sender, against the local stand-in of Twilio's API."""

import logging
import socket
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.registration.credentials import password_matches
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.sms.outbox import send_pending
from ivr.sms.sender import SmsSender
from ivr.speech.catalog import Catalog
from ivr.store.db import Store
from ivr.store.models import Base, Credential, SmsOutbox
from tests.concurrency import all_at_once
from tests.integration.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    START,
    add_registration,
    ask,
    make_runtime,
    password_in,
    rows,
)
from tests.postgres import postgres_database
from tests.waiting import PATIENCE, wait_until


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


@pytest.fixture
def stand_in():
    with TwilioApiStandIn(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def runtime(tmp_path, stand_in):
    runtime = make_runtime(f"sqlite:///{tmp_path}/t.sqlite3", stand_in.base_url)
    yield runtime
    runtime.store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_runtime(request, tmp_path, stand_in):
    """A runtime on SQLite, then on PostgreSQL (where row locks, not a database lock, serialise)."""
    if request.param == "sqlite":
        runtime = make_runtime(f"sqlite:///{tmp_path}/t.sqlite3", stand_in.base_url)
        yield runtime
        runtime.store.dispose()
        return
    with postgres_database() as url:
        runtime = make_runtime(url, stand_in.base_url)
        yield runtime
        runtime.store.dispose()


@pytest.mark.parametrize("language, phrase", [("fr", "Immatriculation: 123456789"), ("ar", "رقم التسجيل: 123456789")])
def test_the_sms_reaches_the_registered_mobile_in_the_callers_language_and_only_its_hash_is_kept(
    runtime, catalog, stand_in, language, phrase
):
    registration_id = add_registration(runtime, mobile="+212612345678")
    assert ask(runtime, registration_id, "CA1:7", language) == "queued"

    assert send_pending(runtime, catalog) == 1

    [message] = stand_in.wait_for_messages(1)
    assert (message["to"], message["from"]) == ("+212612345678", "CNSS")
    assert phrase in message["body"]
    [row] = rows(runtime, SmsOutbox)
    assert (row.status, row.message_sid, row.sent_at) == ("sent", message["sid"], START)
    [credential] = rows(runtime, Credential)
    assert credential.outbox_id == row.id and credential.revoked_at is None
    assert password_matches(credential.password_hash, password_in(message["body"]))


def test_a_second_delivery_revokes_the_first_password(runtime, catalog, stand_in):
    registration_id = add_registration(runtime)
    ask(runtime, registration_id, "CA1:1")
    send_pending(runtime, catalog)
    runtime.clock.advance(minutes=5)
    ask(runtime, registration_id, "CA2:1")
    send_pending(runtime, catalog)

    first, second = (password_in(m["body"]) for m in stand_in.wait_for_messages(2))
    old, new = rows(runtime, Credential)
    assert old.revoked_at == START + timedelta(minutes=5) and new.revoked_at is None
    assert password_matches(old.password_hash, first) and password_matches(new.password_hash, second)
    assert first != second


def test_senders_in_four_processes_at_once_send_each_sms_exactly_once(any_runtime, catalog, stand_in):
    mobiles = [f"+2126000000{i:02d}" for i in range(4)]
    for i, mobile in enumerate(mobiles):
        registration_id = add_registration(any_runtime, number=f"10000000{i}", mobile=mobile)
        for call in range(3):
            ask(any_runtime, registration_id, f"CA{call}:{i}")
    processes = [any_runtime] + [replace(any_runtime, store=Store(any_runtime.store.url)) for _ in range(3)]

    accepted = all_at_once([lambda runtime=runtime: send_pending(runtime, catalog) for runtime in processes])
    for runtime in processes[1:]:
        runtime.store.dispose()

    assert sum(accepted) == 12
    assert sorted(m["to"] for m in stand_in.messages) == sorted(mobiles * 3)
    outbox = rows(any_runtime, SmsOutbox)
    assert {row.status for row in outbox} == {"sent"}
    assert {row.message_sid for row in outbox} == {m["sid"] for m in stand_in.messages}
    assert len(rows(any_runtime, Credential)) == 12


def test_requests_racing_for_one_registration_queue_three_at_most(any_runtime):
    registration_id = add_registration(any_runtime)
    outcomes = all_at_once([lambda key=f"CA{i}:1": ask(any_runtime, registration_id, key) for i in range(6)])
    assert sorted(outcomes) == ["limit_reached"] * 3 + ["queued"] * 3
    assert len(rows(any_runtime, SmsOutbox)) == 3


def test_the_same_idempotency_key_twice_queues_one_sms(runtime, catalog, stand_in):
    registration_id = add_registration(runtime)
    assert ask(runtime, registration_id, "CA1:12") == "queued"
    assert ask(runtime, registration_id, "CA1:12") == "already_queued"
    send_pending(runtime, catalog)
    assert ask(runtime, registration_id, "CA1:12") == "already_queued"
    send_pending(runtime, catalog)

    assert len(rows(runtime, SmsOutbox)) == 1
    assert len(stand_in.messages) == 1


def test_a_fourth_request_within_24_hours_is_refused_failed_sends_included(runtime, catalog, stand_in):
    registration_id = add_registration(runtime)
    stand_in.fail_next(400, 21211, "Invalid 'To' Phone Number")
    assert ask(runtime, registration_id, "CA1:1") == "queued"
    send_pending(runtime, catalog)
    for key in ("CA1:2", "CA1:3"):
        runtime.clock.advance(hours=1)
        assert ask(runtime, registration_id, key) == "queued"
    runtime.clock.advance(hours=20)
    assert ask(runtime, registration_id, "CA1:4") == "limit_reached"

    runtime.clock.advance(hours=3, seconds=1)  # the first request is now more than 24 hours old
    assert ask(runtime, registration_id, "CA1:5") == "queued"
    assert [row.idempotency_key for row in rows(runtime, SmsOutbox)] == ["CA1:1", "CA1:2", "CA1:3", "CA1:5"]


def test_a_send_twilio_refuses_is_failed_with_its_code_and_the_old_password_stays_valid(runtime, catalog, stand_in):
    registration_id = add_registration(runtime)
    ask(runtime, registration_id, "CA1:1")
    send_pending(runtime, catalog)
    [first] = stand_in.wait_for_messages(1)
    ask(runtime, registration_id, "CA2:1")
    stand_in.fail_next(400, 21211, "Invalid 'To' Phone Number: +212612345678")

    assert send_pending(runtime, catalog) == 0

    refused = rows(runtime, SmsOutbox)[1]
    assert (refused.status, refused.error_code, refused.message_sid) == ("failed", "21211", None)
    assert "Invalid 'To' Phone Number" in refused.error_message
    [credential] = rows(runtime, Credential)
    assert credential.revoked_at is None
    assert password_matches(credential.password_hash, password_in(first["body"]))


def test_a_send_that_cannot_reach_twilio_is_failed_and_changes_no_password(runtime, catalog):
    ask(runtime, add_registration(runtime), "CA1:1")
    with socket.socket() as closed:  # bound, never listening: refuses connections, and no one else takes its port
        closed.bind(("127.0.0.1", 0))
        runtime.settings["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{closed.getsockname()[1]}"

        assert send_pending(runtime, catalog) == 0

    [row] = rows(runtime, SmsOutbox)
    assert (row.status, row.error_code) == ("failed", "transport")
    assert rows(runtime, Credential) == []


def test_a_send_interrupted_for_10_minutes_becomes_unknown_and_is_never_resent(runtime, catalog, stand_in):
    ask(runtime, add_registration(runtime, number="100000001", mobile="+212600000001"), "CA1:1")
    ask(runtime, add_registration(runtime, number="100000002", mobile="+212600000002"), "CA2:1")
    with runtime.store.transaction() as session:
        old, recent = session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)).all()
        old.status, old.updated_at = "sending", START - timedelta(minutes=11)
        recent.status, recent.updated_at = "sending", START - timedelta(minutes=5)

    assert send_pending(runtime, catalog) == 0

    old, recent = rows(runtime, SmsOutbox)
    assert (old.status, old.error_code) == ("unknown", "interrupted")
    assert recent.status == "sending"
    assert stand_in.messages == []


def test_no_password_or_body_reaches_the_database_file_or_the_logs(runtime, catalog, stand_in, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    ask(runtime, add_registration(runtime), "CA1:1")
    send_pending(runtime, catalog)
    runtime.store.dispose()

    [message] = stand_in.wait_for_messages(1)
    password = password_in(message["body"])
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("t.sqlite3*"))
    assert b"123456789" in stored  # the registration number is there: the bytes were really read
    assert password.encode() not in stored
    assert message["body"].encode() not in stored
    assert "sent" in caplog.text
    assert password not in caplog.text


def test_the_sender_thread_sends_a_queued_sms_as_soon_as_it_is_notified(runtime, catalog, stand_in):
    registration_id = add_registration(runtime)
    sender = SmsSender(runtime, catalog, interval=60)
    sender.start()
    try:
        ask(runtime, registration_id, "CA1:1")
        sender.notify()
        [message] = stand_in.wait_for_messages(1, timeout=PATIENCE)
    finally:
        sender.stop()
    assert message["to"] == "+212612345678"
    assert rows(runtime, SmsOutbox)[0].status == "sent"


def test_the_sender_thread_logs_a_failed_round_and_goes_on(tmp_path, catalog, stand_in, caplog):
    runtime = make_runtime(f"sqlite:///{tmp_path}/t.sqlite3", stand_in.base_url)
    Base.metadata.drop_all(runtime.store.engine)  # the first rounds fail: no tables yet
    sender = SmsSender(runtime, catalog, interval=0.05)
    sender.start()
    try:
        wait_until(lambda: "will try again" in caplog.text, "the sender to log a failed round")
        Base.metadata.create_all(runtime.store.engine)
        ask(runtime, add_registration(runtime), "CA1:1")
        stand_in.wait_for_messages(1, timeout=PATIENCE)
    finally:
        sender.stop()
        runtime.store.dispose()
    assert "will try again" in caplog.text
