"""Every value of a repeated parameter is signed, and a signed request cannot give one parameter two values."""

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.simulator.twiml_reader import Gather, parse
from ivr.store.models import CallSession

from .conftest import choose

INCOMING = "http://localhost/voice/incoming"
SECOND_FROM = "+212611000000"


def sign(app, url: str, params) -> str:
    return RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)


def count_calls(rt) -> int:
    with rt.store.transaction() as db:
        return db.scalar(select(func.count()).select_from(CallSession))


def test_a_signed_request_with_a_second_from_appended_is_refused_with_403(app, phone, rt):
    signed = phone().call_params()
    signature = sign(app, INCOMING, signed)
    tampered = MultiDict([*signed.items(), ("From", SECOND_FROM)])
    response = app.test_client().post("/voice/incoming", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count_calls(rt) == 0


def test_a_second_digits_appended_to_a_signed_step_is_refused_and_changes_nothing(app, phone, voice):
    caller = phone()
    choose(caller, "fr")
    before = voice.session(caller)
    url = f"http://localhost/voice/step?seq={before.seq}"
    signed = caller.call_params(Digits="1")
    tampered = MultiDict([*signed.items(), ("Digits", "0")])
    response = app.test_client().post(
        f"/voice/step?seq={before.seq}", data=tampered, headers={"X-Twilio-Signature": sign(app, url, signed)}
    )
    assert response.status_code == 403
    after = voice.session(caller)
    assert (after.seq, after.state, after.transfer_reason) == (before.seq, before.state, None)


def test_a_request_signed_with_two_different_froms_is_refused_with_400(app, phone, rt):
    both = MultiDict([*phone().call_params().items(), ("From", SECOND_FROM)])
    signature = sign(app, INCOMING, both)
    response = app.test_client().post("/voice/incoming", data=both, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400
    assert count_calls(rt) == 0


@pytest.mark.parametrize("repeated", ["From", "CallSid"])
def test_a_signed_request_repeating_a_parameter_with_the_same_value_is_answered_as_usual(app, phone, rt, repeated):
    params = phone().call_params()
    twice = MultiDict([*params.items(), (repeated, params[repeated])])
    signature = sign(app, INCOMING, twice)
    response = app.test_client().post("/voice/incoming", data=twice, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert any(isinstance(verb, Gather) for verb in parse(response.data))
    assert count_calls(rt) == 1
