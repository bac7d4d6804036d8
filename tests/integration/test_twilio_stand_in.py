"""The real twilio SDK, through ivr.twilio_rest, against the local stand-in of Twilio's API."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.stand_in_call import CallHungUp, CallUpdate, StandInCall
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.twilio_rest import make_client, send_sms

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "stand-in-token"
PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def stand_in():
    with TwilioApiStandIn(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


def settings_for(stand_in, **overrides):
    settings = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": stand_in.base_url,
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def client(stand_in):
    return make_client(settings_for(stand_in))


def test_the_client_sends_twilio_urls_to_the_configured_base_url(stand_in, client):
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?a=1"
    assert client.get_hostname(url) == f"{stand_in.base_url}/2010-04-01/Accounts/AC1/Messages.json?a=1"


def test_the_client_keeps_twilio_urls_when_the_base_url_is_twilios():
    client = make_client({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    assert client.get_hostname(url) == url
    assert client.http_client.timeout == 10


def test_a_message_is_accepted_and_parsed_by_the_sdk(stand_in, client):
    message = client.messages.create(
        to="+212612345678", from_="CNSS", body="Bonjour", status_callback="http://127.0.0.1:1/sms/status"
    )
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.from_, message.body) == ("queued", "+212612345678", "CNSS", "Bonjour")
    assert message.num_segments == "1"
    assert message.date_created is not None
    [recorded] = stand_in.wait_for_messages(1)
    assert recorded["sid"] == message.sid
    assert recorded["status_callback"] == "http://127.0.0.1:1/sms/status"


def test_sending_an_sms_leaves_no_copy_of_the_body_in_the_sdk(stand_in, client):
    sid = send_sms(client, "+212612345678", "CNSS", "secret body")
    assert sid == stand_in.wait_for_messages(1)[0]["sid"]
    assert client.http_client._test_only_last_request is None
    assert client.http_client._test_only_last_response is None


def test_a_wrong_auth_token_raises_a_401_rest_exception(stand_in):
    client = make_client(settings_for(stand_in, TWILIO_AUTH_TOKEN="wrong"))
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+212612345678", from_="CNSS", body="Bonjour")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert stand_in.messages == []


@pytest.mark.parametrize(
    "to, body, code",
    [
        ("0612345678", "Bonjour", 21211),
        ("+212612345678", "", 21602),
    ],
)
def test_a_bad_number_or_an_empty_body_is_refused_like_twilio_does(client, to, body, code):
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=to, from_="CNSS", body=body)
    assert (raised.value.status, raised.value.code) == (400, code)


def test_an_injected_failure_fails_the_next_request_only(stand_in, client):
    stand_in.fail_next(503, 20500, "Internal Server Error")
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+212612345678", from_="CNSS", body="one")
    assert (raised.value.status, raised.value.code) == (503, 20500)
    assert "Internal Server Error" in raised.value.msg
    client.messages.create(to="+212612345678", from_="CNSS", body="two")
    assert [m["body"] for m in stand_in.messages] == ["two"]


def test_a_live_call_is_redirected_to_a_new_url(stand_in, client):
    stand_in.add_call("CA" + "a" * 32)
    call = client.calls("CA" + "a" * 32).update(url="https://ivr.example/voice/agent?x=1", method="POST")
    assert call.sid == "CA" + "a" * 32
    assert stand_in.call_updates == [
        {"call_sid": "CA" + "a" * 32, "url": "https://ivr.example/voice/agent?x=1", "method": "POST"}
    ]


def test_redirecting_an_unknown_call_raises_a_404(stand_in, client):
    with pytest.raises(TwilioRestException) as raised:
        client.calls("CA" + "b" * 32).update(url="https://ivr.example/voice/agent")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert stand_in.call_updates == []


def test_redirecting_a_completed_call_raises_a_400(stand_in, client):
    stand_in.add_call("CA" + "c" * 32)
    stand_in.set_call_status("CA" + "c" * 32, "completed")
    with pytest.raises(TwilioRestException) as raised:
        client.calls("CA" + "c" * 32).update(url="https://ivr.example/voice/agent")
    assert (raised.value.status, raised.value.code) == (400, 21220)
    assert "not in-progress" in raised.value.msg


def test_the_recorded_messages_are_readable_as_json_by_number(stand_in, client):
    client.messages.create(to="+212612345678", from_="CNSS", body="pour 5678")
    client.messages.create(to="+212700000001", from_="CNSS", body="pour 0001")
    with urlopen(f"{stand_in.base_url}/_standin/messages.json?to={quote('+212612345678')}") as response:
        escaped = json.load(response)["messages"]
    with urlopen(f"{stand_in.base_url}/_standin/messages.json?to=+212612345678") as response:
        unescaped = json.load(response)["messages"]
    with urlopen(f"{stand_in.base_url}/_standin/messages.json") as response:
        everything = json.load(response)["messages"]
    assert [m["body"] for m in escaped] == [m["body"] for m in unescaped] == ["pour 5678"]
    assert len(everything) == 2


def test_run_as_a_program_it_prints_each_sms_it_receives():
    program = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ivr.simulator.twilio_stand_in",
            "--port",
            "0",
            "--account-sid",
            ACCOUNT_SID,
            "--auth-token",
            AUTH_TOKEN,
        ],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = program.stdout.readline()
        base_url = banner.split(" on ")[1].split()[0]
        client = make_client(
            {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_BASE_URL": base_url}
        )
        client.messages.create(to="+212612345678", from_="CNSS", body="Mot de passe: x")
        assert program.stdout.readline() == "SMS to +212612345678: Mot de passe: x\n"
    finally:
        program.terminate()
        program.wait(timeout=5)


# Calls a simulated caller places: told to the stand-in over HTTP, updated through the SDK as Twilio's are.

CALL_SID = "CA" + "d" * 32


def placed_call(stand_in, call_sid: str = CALL_SID) -> StandInCall:
    caller = SimulatedCaller.over_http("http://127.0.0.1:9", call_sid=call_sid, from_number="+212600777888")
    placed = StandInCall.place(stand_in.base_url, caller)
    assert placed is not None
    return placed


def test_a_call_the_console_places_is_in_progress_and_an_update_of_its_url_reaches_it(stand_in, client):
    placed = placed_call(stand_in)
    assert stand_in.calls[CALL_SID]["from"] == "+212600777888"
    assert placed.news() is None

    call = client.calls(CALL_SID).update(url="http://127.0.0.1:8080/voice/resume?seq=7", method="POST")

    assert (call.sid, call.status) == (CALL_SID, "in-progress")
    assert placed.news() == CallUpdate("http://127.0.0.1:8080/voice/resume?seq=7", "POST")
    assert placed.news() is None  # carried out once


def test_of_two_updates_before_the_call_looks_only_the_latest_is_carried_out(stand_in, client):
    placed = placed_call(stand_in)
    client.calls(CALL_SID).update(url="http://127.0.0.1:8080/first", method="POST")
    client.calls(CALL_SID).update(url="http://127.0.0.1:8080/second", method="GET")
    assert placed.news() == CallUpdate("http://127.0.0.1:8080/second", "GET")
    with urlopen(f"{stand_in.base_url}/_standin/calls/{CALL_SID}.json") as response:
        view = json.load(response)
    assert [update["url"] for update in view["updates"]] == [
        "http://127.0.0.1:8080/first",
        "http://127.0.0.1:8080/second",
    ]


def test_updating_a_call_the_console_said_has_ended_raises_twilios_21220(stand_in, client):
    placed = placed_call(stand_in)
    placed.ended()
    assert stand_in.calls[CALL_SID]["status"] == "completed"
    with pytest.raises(TwilioRestException) as raised:
        client.calls(CALL_SID).update(url="http://127.0.0.1:8080/voice/resume?seq=7", method="POST")
    assert (raised.value.status, raised.value.code) == (400, 21220)
    assert stand_in.call_updates == [] and placed.news() is None


def test_a_call_with_a_sid_twilio_would_not_give_or_an_unknown_status_is_refused(stand_in):
    refused = requests.post(f"{stand_in.base_url}/_standin/calls.json", data={"CallSid": "CA1"}, timeout=5)
    assert (refused.status_code, refused.json()["code"]) == (400, 21201)
    placed_call(stand_in)
    refused = requests.post(f"{stand_in.base_url}/_standin/calls/{CALL_SID}.json", data={"Status": "gone"}, timeout=5)
    assert (refused.status_code, refused.json()["code"]) == (400, 21218)
    unknown = requests.get(f"{stand_in.base_url}/_standin/calls/{'CA' + 'e' * 32}.json", timeout=5)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 20404)


def test_a_stand_in_that_does_not_answer_knows_no_call():
    caller = SimulatedCaller.over_http("http://127.0.0.1:9")
    assert StandInCall.place("http://127.0.0.1:9", caller) is None


def test_a_call_hung_up_through_the_api_is_news_to_its_caller_but_its_own_end_is_not(stand_in, client):
    placed = placed_call(stand_in)
    call = client.calls(CALL_SID).update(status="completed")
    assert call.status == "completed"
    assert placed.news() == CallHungUp("completed")
    other = placed_call(stand_in, "CA" + "f" * 32)
    other.ended()
    assert other.news() is None
