"""Twilio's delivery reports: record_status, the /sms/status webhook, and real callbacks end to end."""

import pytest
from twilio.request_validator import RequestValidator

from ivr.factory import create_app
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.sms.outbox import record_status, send_pending
from ivr.speech.catalog import Catalog
from ivr.store.models import SmsOutbox
from ivr.web.sms_status import sms_webhooks
from tests.fakes import FakeClock
from tests.integration.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    START,
    add_registration,
    ask,
    make_runtime,
    rows,
    sent_row,
)
from tests.waiting import wait_until


@pytest.fixture
def runtime(tmp_path):
    runtime = make_runtime(f"sqlite:///{tmp_path}/t.sqlite3", "http://127.0.0.1:9")
    yield runtime
    runtime.store.dispose()


def test_delivery_reports_move_the_row_forward_and_never_back(runtime):
    sid = sent_row(runtime)
    assert record_status(runtime, sid, "delivered", None)
    assert record_status(runtime, sid, "sent", None)
    assert record_status(runtime, sid, "undelivered", "30003")
    [row] = rows(runtime, SmsOutbox)
    assert (row.status, row.error_code) == ("delivered", None)


def test_a_failure_report_is_final_and_keeps_its_error_code(runtime):
    sid = sent_row(runtime)
    record_status(runtime, sid, "undelivered", "30005")
    record_status(runtime, sid, "delivered", None)
    [row] = rows(runtime, SmsOutbox)
    assert (row.status, row.error_code) == ("undelivered", "30005")


def test_a_repeated_report_changes_nothing(runtime):
    sid = sent_row(runtime)
    record_status(runtime, sid, "delivered", None)
    [before] = rows(runtime, SmsOutbox)
    runtime.clock.advance(minutes=1)
    assert record_status(runtime, sid, "delivered", None)
    [after] = rows(runtime, SmsOutbox)
    assert (after.status, after.updated_at) == ("delivered", before.updated_at)


def test_a_report_for_an_unknown_message_is_refused(runtime):
    sent_row(runtime)
    assert record_status(runtime, "SM" + "0" * 32, "delivered", None) is False
    assert rows(runtime, SmsOutbox)[0].status == "sent"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3",
            "IVR_SECRET_KEY": "k" * 64,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "IVR_SMS_SENDER": "off",
            "CLOCK": FakeClock(START),
        }
    )
    if "sms_webhooks" not in app.blueprints:
        app.register_blueprint(sms_webhooks)
    yield app
    app.extensions["ivr"].store.dispose()


def post_signed(client, params, token=AUTH_TOKEN):
    """Post to /sms/status signed for the URL the test client uses."""
    signature = RequestValidator(token).compute_signature("http://localhost/sms/status", params)
    return client.post("/sms/status", data=params, headers={"X-Twilio-Signature": signature})


def test_the_status_webhook_records_a_correctly_signed_report(app):
    sid = sent_row(app.extensions["ivr"])
    answer = post_signed(app.test_client(), {"MessageSid": sid, "MessageStatus": "delivered", "ErrorCode": ""})
    assert answer.status_code == 204
    assert rows(app.extensions["ivr"], SmsOutbox)[0].status == "delivered"


def test_the_status_webhook_refuses_a_bad_signature(app):
    sid = sent_row(app.extensions["ivr"])
    answer = post_signed(app.test_client(), {"MessageSid": sid, "MessageStatus": "delivered"}, token="forged")
    assert answer.status_code == 403
    assert rows(app.extensions["ivr"], SmsOutbox)[0].status == "sent"


def test_the_status_webhook_wants_a_message_sid_and_a_status(app):
    assert post_signed(app.test_client(), {"MessageSid": "SM" + "f" * 32}).status_code == 400
    assert post_signed(app.test_client(), {"MessageStatus": "delivered"}).status_code == 400


def test_twilios_status_callbacks_reach_the_webhook_and_mark_the_sms_delivered(app, served_app):
    runtime = app.extensions["ivr"]
    with TwilioApiStandIn(ACCOUNT_SID, AUTH_TOKEN, deliver_status_callbacks=True, callback_delay=0.05) as api:
        app.config.update(TWILIO_API_BASE_URL=api.base_url, PUBLIC_BASE_URL=served_app)
        ask(runtime, add_registration(runtime), "CA1:1")
        assert send_pending(runtime, Catalog.load()) == 1
        assert api.wait_for_messages(1)[0]["status_callback"] == f"{served_app}/sms/status"
        wait_until(
            lambda: rows(runtime, SmsOutbox)[0].status == "delivered",
            "Twilio's status callbacks to mark the SMS delivered",
            describe=lambda: f"the stand-in's messages: {api.messages_to()}",
        )
    assert rows(runtime, SmsOutbox)[0].status == "delivered"
