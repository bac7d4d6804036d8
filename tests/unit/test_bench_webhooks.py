"""The wrk benchmark's requests: rewritten for each person, signed as Twilio signs, shared out (no wrk runs here)."""

from urllib.parse import parse_qsl, unquote

import pytest
from twilio.request_validator import RequestValidator

from bench.webhook_calls import (
    Webhook,
    auth_token,
    call_sid,
    calls_for,
    check_recording,
    expected_text,
    for_floor,
    for_person,
    person_values,
    request_line,
    same_call,
    write_requests,
)
from bench.webhooks import parse_wrk_output
from ivr.registration import synthetic

GATHER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="http://127.0.0.1:8080/voice/step?seq=4" '
    'input="dtmf"><Say>Date ?</Say></Gather><Redirect>http://127.0.0.1:8080/voice/step?seq=4</Redirect></Response>'
)
GOODBYE = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Au revoir.</Say><Hangup /></Response>'


def a_call(person: int) -> list[Webhook]:
    """Return a short call as person would make it: incoming, CIN digits, birth date, hang-up's status callback."""
    values = person_values(person)
    common = {"CallSid": "CA" + "a" * 32, "From": values["mobile"], "Caller": values["mobile"], "To": "+212520447100"}
    return [
        Webhook("/voice/incoming", {**common, "CallStatus": "ringing"}, 200, '?seq=1"'),
        Webhook("/voice/step?seq=1", {**common, "Digits": values["cin_digits"], "FinishedOnKey": "#"}, 200, '?seq=2"'),
        Webhook("/voice/step?seq=2", {**common, "Digits": values["birth_date"]}, 200, GOODBYE),
        Webhook("/voice/status", {**common, "CallStatus": "completed", "Timestamp": "Tue, 01 Dec 2026"}, 204),
    ]


def test_an_answer_must_name_the_next_step_or_be_the_recorded_goodbye():
    assert expected_text(GATHER) == '?seq=4"'
    assert expected_text(GOODBYE) == GOODBYE
    assert expected_text("") == ""
    assert expected_text("<Response><Play>http://127.0.0.1:8080/audio/x.wav</Play></Response>") == ""


def test_a_recorded_call_is_rewritten_with_each_persons_own_values():
    rewritten = for_person(a_call(0), 0, 7, call_sid(7, "beef"))

    person = synthetic.person(7)
    assert [w.params["CallSid"] for w in rewritten] == [call_sid(7, "beef")] * 4
    assert {w.params["From"] for w in rewritten} == {w.params["Caller"] for w in rewritten} == {person.mobile}
    assert rewritten[1].params["Digits"] == str(9_000_007)
    assert rewritten[2].params["Digits"] == person.born.strftime("%d%m%Y")
    assert rewritten[1].params["FinishedOnKey"] == "#" and rewritten[0].params["To"] == "+212520447100"
    assert [(w.path, w.status, w.expect) for w in rewritten] == [(w.path, w.status, w.expect) for w in a_call(0)]
    assert same_call(rewritten, a_call(7)) and not same_call(rewritten, a_call(8))


def test_a_recording_that_does_not_send_the_persons_values_is_refused():
    call = a_call(0)
    without_birth_date = [*call[:2], Webhook("/voice/step?seq=2", {"CallSid": "CA1", "Digits": "1"}, 200), call[3]]

    check_recording(call, 0)
    with pytest.raises(ValueError, match="birth_date"):
        check_recording(without_birth_date, 0)


def test_call_sids_are_twilios_shape_and_distinct():
    sids = {call_sid(index, "0a1b2c3d") for index in (0, 1, 999_999)}
    assert len(sids) == 3 and all(len(sid) == 34 and sid.startswith("CA") for sid in sids)


def test_a_request_line_is_signed_over_the_url_the_server_sees():
    webhook = a_call(3)[3]
    base = "http://127.0.0.1:41234"

    path, signature, body, status, expect, last = request_line(
        webhook, base, RequestValidator(auth_token()), ends_call=True
    ).split("\t")

    params = dict(parse_qsl(body, keep_blank_values=True))
    assert path == "/voice/status" and params == webhook.params
    assert RequestValidator(auth_token()).validate(base + path, params, signature)
    assert not RequestValidator(auth_token()).validate("http://127.0.0.1:9/voice/status", params, signature)
    assert (status, expect, last) == ("204", "", "1")


def test_an_expected_text_travels_percent_encoded_on_its_line():
    webhook = Webhook("/voice/step?seq=2", {"CallSid": "CA1"}, 200, "Merci\tde votre appel.\n" + GOODBYE)

    fields = request_line(webhook, "http://h", RequestValidator("t"), ends_call=False).split("\t")

    assert len(fields) == 6 and unquote(fields[4]) == webhook.expect and fields[5] == "0"


def test_each_wrk_thread_gets_every_threads_th_call_with_its_steps_in_order(tmp_path):
    calls = [for_person(a_call(0), 0, index, call_sid(index, "c0ffee")) for index in range(5)]

    assert write_requests(tmp_path, calls, "http://127.0.0.1:5000", threads=2) == 5

    first, second = ((tmp_path / f"thread-{n}.tsv").read_text().splitlines() for n in (0, 1))
    assert [line.split("\t")[0] for line in first[:4]] == [w.path for w in a_call(0)]
    sids = [dict(parse_qsl(line.split("\t")[2]))["CallSid"] for line in first + second]
    assert sids[:12:4] == [call_sid(i, "c0ffee") for i in (0, 2, 4)]
    assert sids[12::4] == [call_sid(i, "c0ffee") for i in (1, 3)]
    assert [line.rsplit("\t", 1)[1] for line in second] == ["0", "0", "0", "1"] * 2


def test_the_floor_answers_a_gather_to_each_step_and_204_to_the_status_callback():
    floor = for_floor(a_call(0))
    assert [(w.status, w.expect) for w in floor] == [(200, "<Gather")] * 3 + [(204, "")]


def test_a_voice_run_gets_more_calls_than_it_can_finish_the_same_number_per_thread():
    calls = calls_for(seconds=15, steps_per_second=3000, steps_per_call=9, threads=16)
    assert calls % 16 == 0 and calls * 9 >= 15 * 3000 * 1.5
    assert calls_for(seconds=1, steps_per_second=0, steps_per_call=9, threads=16) == 16


def test_wrks_figures_are_read_from_the_scripts_lines():
    output = (
        "Running 15s test @ http://127.0.0.1:5000/\n  16 threads and 16 connections\n"
        "wrkbench requests 4500\nwrkbench window_requests 4410\nwrkbench window_us 14700000\n"
        "wrkbench p99_us 48123\nwrkbench wrong 1\nwrkbench errors_read 2\n"
        "wrkbench problem thread 3, request 7: answered 200 (expected 200): <Response> <Dial>\n"
    )

    run = parse_wrk_output(output)

    assert run["requests"] == 4500 and run.steps_per_second == 300.0 and run.ms("p99_us") == 48.123
    assert run.faults == 3 and run["exhausted"] == 0
    assert run.problems == ["thread 3, request 7: answered 200 (expected 200): <Response> <Dial>"]
