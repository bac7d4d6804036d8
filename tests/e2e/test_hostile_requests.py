"""Requests Twilio would never send, forged ones, and faults: always a 403 or valid TwiML, never a 500."""

import logging
import shutil
from datetime import datetime

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.factory import create_app
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Dial, Gather, Hangup, Redirect, Say, parse
from ivr.store.models import CallSession
from ivr.web.extension import runtime_of

from .conftest import choose

SUNDAY_11H = datetime(2026, 11, 29, 10, 0)  # naive UTC; advisors do not answer on Sundays
WEBHOOKS = ["/voice/incoming", "/voice/step?seq=1", "/voice/status", "/sms/status"]
PUBLIC_BASE = "https://ivr.example.org"


def webhook_params(caller, path: str) -> dict:
    """Parameters Twilio would send to a webhook (an SMS report for /sms/status)."""
    if path == "/sms/status":
        return {"AccountSid": caller.account_sid, "MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    if path == "/voice/status":
        return caller.call_params(CallStatus="completed")
    return caller.call_params(Digits="1")


def twiml(response) -> list:
    """Check an answer is HTTP 200 with a TwiML document, and return its verbs."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    return parse(response.content)


def said_texts(document) -> list[str]:
    """Return every <Say> text of a document, those inside a <Gather> included."""
    texts = []
    for verb in document:
        if isinstance(verb, Say):
            texts.append(verb.text)
        elif isinstance(verb, Gather):
            texts.extend(child.text for child in verb.children if isinstance(child, Say))
    return texts


def apologises_and_offers_the_advisor(voice, app, document) -> bool:
    texts = said_texts(document)
    dials = [v for v in document if isinstance(v, Dial)]
    return (
        voice.text("error.apology", "fr") in texts
        and voice.text("error.apology", "ar") in texts
        and len(dials) == 1
        and dials[0].number == app.config["ADVISOR_NUMBER"]
    )


def count(rt, model) -> int:
    with rt.store.transaction() as db:
        return db.scalar(select(func.count()).select_from(model))


def at_main_menu(phone):
    caller = phone()
    choose(caller, "fr")
    return caller


def at_cin_question(phone):
    caller = phone()
    choose(caller, "fr", "1")
    return caller


def step(caller, voice, **params):
    """Post one step of the call, at its current seq, with exactly these extra parameters."""
    return caller.post(f"/voice/step?seq={voice.session(caller).seq}", caller.call_params(**params))


def break_the_store(rt) -> None:
    """Make the database unusable for calls: drop the call_sessions table."""
    if rt.store.engine.dialect.name == "postgresql":
        with rt.store.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE call_sessions CASCADE")
        return
    connection = rt.store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("DROP TABLE call_sessions")
        cursor.close()
    finally:
        connection.close()


def logged_an_error(caplog) -> bool:
    return any(record.levelno >= logging.ERROR for record in caplog.records)


# Signatures.


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_bad_signature_is_refused_with_403(app, rt, path):
    forger = SimulatedCaller.in_process(app, auth_token="not-the-auth-token")
    response = forger.post(path, webhook_params(forger, path))
    assert response.status_code == 403
    assert count(rt, CallSession) == 0


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_missing_signature_is_refused_with_403(phone, rt, path):
    caller = phone()
    response = caller.post(path, webhook_params(caller, path), signed=False)
    assert response.status_code == 403
    assert count(rt, CallSession) == 0


def test_a_signature_of_other_parameters_is_refused_with_403(app, phone, rt):
    caller = phone()
    signed = caller.call_params()
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
        "http://localhost/voice/incoming", signed
    )
    tampered = {**signed, "From": "+212611000000"}
    response = app.test_client().post("/voice/incoming", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count(rt, CallSession) == 0


def test_a_refused_step_changes_nothing_in_the_call(app, phone, voice):
    caller = at_main_menu(phone)
    before = voice.session(caller)
    forger = SimulatedCaller.in_process(app, auth_token="not-the-auth-token", call_sid=caller.call_sid)
    response = forger.post(f"/voice/step?seq={before.seq}", forger.call_params(Digits="0"))
    assert response.status_code == 403
    after = voice.session(caller)
    assert (after.seq, after.state, after.transfer_reason) == (before.seq, before.state, None)


# Keys Twilio never sends.


@pytest.mark.parametrize("digits", ["12a#", "abc", "1 2", "<Hangup/>", "١"])
def test_letters_and_symbols_on_a_menu_are_an_invalid_choice(phone, voice, digits):
    caller = at_main_menu(phone)
    document = twiml(step(caller, voice, Digits=digits))
    assert voice.said(caller) == ["menu.invalid"]
    assert voice.text("menu.invalid", "fr") in said_texts(document)
    assert any(isinstance(v, Gather) for v in document)  # asked again


@pytest.mark.parametrize("digits", ["abc", "12a#", "AB734591", "734591abc"])
def test_letters_on_the_cin_question_are_an_invalid_cin(phone, voice, people, digits):
    caller = at_cin_question(phone)
    document = twiml(step(caller, voice, Digits=digits))
    assert voice.said(caller) == ["identity.cin_invalid"]
    assert any(isinstance(v, Gather) for v in document)


def test_ten_thousand_digits_on_a_menu_are_an_invalid_choice(phone, voice):
    caller = at_main_menu(phone)
    document = twiml(step(caller, voice, Digits="1" * 10_000))
    assert voice.said(caller) == ["menu.invalid"]
    assert any(isinstance(v, Gather) for v in document)


def test_ten_thousand_digits_on_the_cin_question_are_an_invalid_cin(phone, voice, people):
    caller = at_cin_question(phone)
    document = twiml(step(caller, voice, Digits="7" * 10_000))
    assert voice.said(caller) == ["identity.cin_invalid"]
    assert any(isinstance(v, Gather) for v in document)
    assert len(str(voice.steps(caller)[-1].detail)) < 1_000  # the audit trail does not keep them all


# Steps that are not part of a known call.


def test_callers_with_long_sip_addresses_are_served_and_told_apart(app, voice, rt):
    addresses = [f"sip:{name}-agent-desk-with-a-long-name@cnss-callcentre.sip.twilio.com" for name in ("a", "b")]
    turns = [SimulatedCaller.in_process(app, from_number=address).dial() for address in addresses]

    assert all(turn.gather is not None and voice.heard(turn, "language.choose") for turn in turns)
    with rt.store.transaction() as db:
        keys = db.scalars(select(CallSession.from_number)).all()
    assert len(set(keys)) == 2 and all(len(key) <= 32 for key in keys)


def test_incoming_call_without_callsid_gets_the_apology_and_the_advisor(app, phone, voice, rt):
    caller = phone()
    params = caller.call_params()
    del params["CallSid"]
    document = twiml(caller.post("/voice/incoming", params))
    assert apologises_and_offers_the_advisor(voice, app, document)
    assert count(rt, CallSession) == 0


def test_step_without_callsid_gets_the_apology_and_the_advisor(app, phone, voice):
    caller = at_main_menu(phone)
    params = caller.call_params(Digits="1")
    del params["CallSid"]
    document = twiml(caller.post(f"/voice/step?seq={voice.session(caller).seq}", params))
    assert apologises_and_offers_the_advisor(voice, app, document)


def test_step_of_an_unknown_call_gets_the_apology_and_the_advisor(app, phone, voice, rt):
    stranger = phone()  # never dialled: no session for its CallSid
    document = twiml(stranger.post("/voice/step?seq=2", stranger.call_params(Digits="1")))
    assert apologises_and_offers_the_advisor(voice, app, document)
    assert count(rt, CallSession) == 0


def test_apology_outside_opening_hours_says_the_hours_instead_of_dialling(app, phone, voice, clock):
    clock.now = SUNDAY_11H
    stranger = phone()
    document = twiml(stranger.post("/voice/step?seq=2", stranger.call_params(Digits="1")))
    assert voice.text("error.apology", "fr") in said_texts(document)
    assert not any(isinstance(v, Dial) for v in document)
    assert "du lundi au vendredi, de 8 heures 30 à 16 heures 30" in " ".join(said_texts(document))
    assert isinstance(document[-1], Hangup)


# Repeated, stale and malformed steps: the call's last answer again, with no effect.


@pytest.mark.parametrize("query", ["", "?seq=", "?seq=abc", "?seq=2.5", "?seq=-1", "?seq=99999999999999999999"])
def test_a_step_with_a_bad_or_missing_seq_gets_the_last_answer_again(phone, voice, query):
    caller = at_main_menu(phone)
    before, steps = voice.session(caller), len(voice.steps(caller))
    response = caller.post(f"/voice/step{query}", caller.call_params(Digits="0"))
    twiml(response)
    assert response.text == caller.turn.xml
    after = voice.session(caller)
    assert (after.seq, after.flow, after.state, after.transfer_reason) == (before.seq, "menu", "choose", None)
    assert len(voice.steps(caller)) == steps


def test_a_stale_step_gets_the_last_answer_again(phone, voice):
    caller = phone()
    caller.dial()
    caller.press("2")
    caller.press("2")  # now at the information menu
    before, steps = voice.session(caller), len(voice.steps(caller))
    response = caller.post("/voice/step?seq=1", caller.call_params(Digits="0"))  # the language step, again
    twiml(response)
    assert response.text == caller.turn.xml
    after = voice.session(caller)
    assert (after.seq, after.state, after.transfer_reason) == (before.seq, "choose", None)
    assert len(voice.steps(caller)) == steps
    turn = caller.press("4")  # the call goes on from where it was
    assert voice.said(caller) == ["info.dates"] and turn.gather is not None


# Faults inside the app.


def test_a_database_fault_in_the_middle_of_a_call_gets_the_apology_and_the_advisor(app, rt, phone, voice, caplog):
    caller = at_main_menu(phone)
    break_the_store(rt)
    turn = caller.press("2")
    document = parse(turn.xml)
    assert turn.status == 200
    assert apologises_and_offers_the_advisor(voice, app, document)
    assert turn.dial is not None and turn.dial.number == app.config["ADVISOR_NUMBER"]
    assert logged_an_error(caplog)


def test_a_database_fault_at_the_first_webhook_gets_the_apology_and_the_advisor(app, rt, phone, voice, caplog):
    break_the_store(rt)
    turn = phone().dial()
    assert turn.status == 200
    assert apologises_and_offers_the_advisor(voice, app, parse(turn.xml))
    assert logged_an_error(caplog)


@pytest.fixture
def app_without_database(settings, tmp_path):
    """An app whose database cannot be opened any more (its folder became a file after startup)."""
    folder = tmp_path / "store"
    app = create_app({**settings, "DATABASE_URL": f"sqlite:///{folder / 'ivr.sqlite3'}"})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production: an uncaught fault is a 500
    runtime_of(app).store.dispose()
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    yield app
    runtime_of(app).store.dispose()


def test_a_database_that_cannot_be_opened_gets_the_apology_and_the_advisor(app_without_database, voice, caplog):
    caller = SimulatedCaller.in_process(app_without_database)
    response = caller.post("/voice/incoming", caller.call_params())
    assert apologises_and_offers_the_advisor(voice, app_without_database, twiml(response))
    assert logged_an_error(caplog)


@pytest.mark.parametrize("path", ["/voice/status", "/sms/status"])
def test_status_callbacks_do_not_answer_500_when_the_database_fails(app_without_database, caplog, path):
    caller = SimulatedCaller.in_process(app_without_database)
    response = caller.post(path, webhook_params(caller, path))
    assert 200 <= response.status_code < 300, f"{path} answered {response.status_code}"
    assert logged_an_error(caplog)


# Behind a proxy: PUBLIC_BASE_URL.


@pytest.fixture
def public_app(settings):
    app = create_app({**settings, "PUBLIC_BASE_URL": PUBLIC_BASE})
    yield app
    runtime_of(app).store.dispose()


@pytest.mark.parametrize("base", [PUBLIC_BASE, PUBLIC_BASE + "/", "https://gateway.example.org/cnss"])
def test_behind_a_proxy_signatures_are_checked_for_the_public_url(settings, base):
    app = create_app({**settings, "PUBLIC_BASE_URL": base})
    try:
        caller = SimulatedCaller.in_process(app)  # signs for the public URLs
        turn = caller.dial()
        assert turn.status == 200 and turn.urls == [base.rstrip("/") + "/voice/incoming"]
        parse(turn.xml)
        turn = caller.press("2")
        assert turn.status == 200 and turn.gather is not None
        assert turn.gather.action.startswith(base.rstrip("/") + "/voice/step?seq=")
    finally:
        runtime_of(app).store.dispose()


def test_behind_a_proxy_action_urls_are_absolute_under_the_public_base(public_app):
    caller = SimulatedCaller.in_process(public_app)
    document = parse(caller.dial().xml)
    [gather] = [v for v in document if isinstance(v, Gather)]
    [redirect] = [v for v in document if isinstance(v, Redirect)]
    assert gather.action.startswith(f"{PUBLIC_BASE}/voice/step?seq=")
    assert redirect.url == gather.action
    caller.press("2")
    dial = caller.press("0").dial
    assert dial is not None and dial.action.startswith(f"{PUBLIC_BASE}/voice/step?seq=")


def test_behind_a_proxy_a_signature_for_the_local_url_is_refused(public_app):
    local = SimulatedCaller.in_process(public_app, base_url="http://localhost")
    response = local.post("/voice/incoming", local.call_params())
    assert response.status_code == 403
    assert count(runtime_of(public_app), CallSession) == 0
