"""The simulated caller drives voice webhooks the way Twilio's voice platform does."""

import re

import pytest
from flask import Flask, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.simulator.caller import CallerError, CallLoopError, SimulatedCaller, Utterance, WebhookError

TOKEN = "test-auth-token"


def fake_voice_app() -> Flask:
    """Build a tiny voice app that checks signatures and records every request it accepts."""
    app = Flask(__name__)
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID="AC" + "1" * 32, SEEN=[])

    @app.before_request
    def check_signature():
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)
        app.config["SEEN"].append((request.method, request.path, request.values.to_dict()))

    def twiml(response: VoiceResponse):
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/voice/incoming")
    def incoming():
        response = VoiceResponse()
        gather = Gather(action="/menu", num_digits=1)
        gather.say("Bienvenue à la CNSS.", language="fr-FR")
        gather.say("مرحبا بكم", language="ar-AE")
        response.append(gather)
        response.say("Nous n'avons rien reçu. Au revoir.", language="fr-FR")
        response.hangup()
        return twiml(response)

    @app.post("/menu")
    def menu():
        response = VoiceResponse()
        digits = request.form.get("Digits")
        if digits == "1":
            gather = Gather(action="cin", finish_on_key="#", timeout=3, action_on_empty_result=True)
            gather.say("Tapez votre CIN puis dièse.", language="fr-FR")
            response.append(gather)
        elif digits == "2":
            response.redirect("/hop/3")
        elif digits == "3":
            response.redirect("/loop")
        elif digits == "4":
            response.append(Gather(action="http://localhost/cin", num_digits=2, method="GET"))
        elif digits == "5":
            response.play("https://cdn.example/fr/bye.mp3")
            response.hangup()
            response.say("Jamais entendu.", language="fr-FR")
        elif digits == "6":
            return "<html><body>Oops</body></html>", 200
        elif digits == "7":
            return "database down", 500
        elif digits == "8":
            response.say("Un conseiller va vous répondre.", language="fr-FR")
            response.append(Dial("+212520194040", action="/advisor-done", timeout=20))
        elif digits == "9":
            response.append(Dial("+212520194040"))
        elif digits == "0":
            response.append(Dial("+212520194040"))
            response.say("Le conseiller a raccroché.", language="fr-FR")
        return twiml(response)

    @app.route("/cin", methods=["GET", "POST"])
    def cin():
        response = VoiceResponse()
        digits = request.values.get("Digits")
        response.say(f"Reçu {digits}." if digits else "Aucune saisie.", language="fr-FR")
        return twiml(response)

    @app.post("/hop/<int:left>")
    def hop(left):
        response = VoiceResponse()
        if left:
            response.redirect(f"/hop/{left - 1}")
        else:
            response.say("Fin de la chaîne.", language="fr-FR")
        return twiml(response)

    @app.post("/loop")
    def loop():
        response = VoiceResponse()
        response.redirect("/loop")
        return twiml(response)

    @app.post("/advisor-done")
    def advisor_done():
        response = VoiceResponse()
        form = request.form
        response.say(f"Appel {form['DialCallStatus']} de {form['DialCallDuration']} secondes.", language="fr-FR")
        response.hangup()
        return twiml(response)

    @app.post("/voice/status")
    def status():
        return "", 204

    return app


@pytest.fixture
def app():
    return fake_voice_app()


@pytest.fixture
def caller(app):
    return SimulatedCaller.in_process(app)


def requests_to(app, path, method="POST"):
    """Return the parameters of the requests the app accepted on one path."""
    seen = app.config["SEEN"]
    return [params for seen_method, seen_path, params in seen if seen_method == method and seen_path == path]


def test_dialling_sends_twilios_call_parameters_with_a_valid_signature(app, caller):
    caller.dial()

    (params,) = requests_to(app, "/voice/incoming")
    assert re.fullmatch(r"CA[0-9a-f]{32}", params["CallSid"])
    assert params | {"CallSid": "-"} == {
        "AccountSid": "AC" + "1" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": "-",
        "CallStatus": "ringing",
        "Called": "+212520447100",
        "Caller": "+212612345678",
        "Direction": "inbound",
        "From": "+212612345678",
        "To": "+212520447100",
    }


def test_a_given_call_sid_and_numbers_are_used(app):
    caller = SimulatedCaller.in_process(app, call_sid="CA" + "a" * 32, from_number="+212700000001")

    caller.dial()

    (params,) = requests_to(app, "/voice/incoming")
    assert (params["CallSid"], params["From"]) == ("CA" + "a" * 32, "+212700000001")


def test_the_first_turn_hears_the_prompts_and_waits_on_the_gather(caller):
    turn = caller.dial()

    assert turn.heard == [
        Utterance("Bienvenue à la CNSS.", "fr-FR"),
        Utterance("مرحبا بكم", "ar-AE"),
    ]
    assert (turn.gather.num_digits, turn.dial, turn.ended, turn.status) == (1, None, False, 200)
    assert "<Gather" in turn.xml


def test_keys_beyond_num_digits_are_ignored_and_later_requests_are_in_progress(app, caller):
    caller.dial()

    caller.press("15")

    (params,) = requests_to(app, "/menu")
    assert (params["Digits"], params["CallStatus"]) == ("1", "in-progress")
    assert "FinishedOnKey" not in params


def test_the_finish_key_ends_the_input_and_is_not_sent_as_a_digit(app, caller):
    caller.dial()
    caller.press("1")

    turn = caller.press("12345678#9")

    (params,) = requests_to(app, "/cin")
    assert (params["Digits"], params["FinishedOnKey"]) == ("12345678", "#")
    assert turn.heard_text() == "Reçu 12345678."


def test_digits_typed_without_the_finish_key_are_submitted_when_the_gather_times_out(app, caller):
    caller.dial()
    caller.press("1")

    caller.press("1234")

    (params,) = requests_to(app, "/cin")
    assert params["Digits"] == "1234"
    assert "FinishedOnKey" not in params


def test_waiting_posts_the_action_without_digits_when_action_on_empty_result_is_true(app, caller):
    caller.dial()
    caller.press("1")

    turn = caller.wait()

    (params,) = requests_to(app, "/cin")
    assert "Digits" not in params
    assert turn.heard_text() == "Aucune saisie."


def test_waiting_without_action_on_empty_result_runs_the_verbs_after_the_gather(app, caller):
    caller.dial()

    turn = caller.wait()

    assert requests_to(app, "/menu") == []
    assert turn.heard_text() == "Nous n'avons rien reçu. Au revoir."
    assert (turn.ended, turn.ended_by) == (True, "hangup")


def test_pressing_only_the_finish_key_counts_as_no_input(app, caller):
    caller.dial()

    turn = caller.press("#")

    assert requests_to(app, "/menu") == []
    assert turn.ended_by == "hangup"


def test_a_relative_action_resolves_against_the_url_of_the_current_document(caller):
    caller.dial()
    caller.press("1")

    turn = caller.press("42#")

    assert turn.urls == ["http://localhost/cin"]


def test_an_absolute_action_with_get_sends_the_parameters_in_a_signed_query_string(app, caller):
    caller.dial()
    caller.press("4")

    turn = caller.press("77")

    assert turn.heard_text() == "Reçu 77."
    (params,) = requests_to(app, "/cin", method="GET")
    assert (params["Digits"], params["CallSid"]) == ("77", caller.call_sid)


def test_a_redirect_chain_is_followed_at_once(caller):
    caller.dial()

    turn = caller.press("2")

    assert turn.urls == [
        "http://localhost/menu",
        "http://localhost/hop/3",
        "http://localhost/hop/2",
        "http://localhost/hop/1",
        "http://localhost/hop/0",
    ]
    assert turn.heard_text() == "Fin de la chaîne."
    assert turn.ended_by == "end_of_document"


def test_an_endless_redirect_raises_call_loop_error_and_ends_the_call(app, caller):
    caller.dial()

    with pytest.raises(CallLoopError):
        caller.press("3")

    assert len(requests_to(app, "/loop")) == 10
    assert (caller.ended, caller.turn.ended_by) == (True, "error")
    assert len(requests_to(app, "/voice/status")) == 1


def test_the_advisor_answering_posts_the_dial_action_with_its_status_and_duration(app, caller):
    caller.dial()
    turn = caller.press("8")
    assert (turn.dial.number, turn.dial.timeout) == ("+212520194040", 20)

    turn = caller.advisor_answers(duration=95)

    (params,) = requests_to(app, "/advisor-done")
    assert (params["DialCallStatus"], params["DialCallDuration"]) == ("completed", "95")
    assert turn.heard_text() == "Appel completed de 95 secondes."


def test_the_advisor_not_answering_posts_the_status_given(app, caller):
    caller.dial()
    caller.press("8")

    turn = caller.advisor_does_not_answer("busy")

    (params,) = requests_to(app, "/advisor-done")
    assert params["DialCallStatus"] == "busy"
    assert turn.ended_by == "hangup"


def test_a_dial_without_action_ends_the_call_when_the_advisor_hangs_up(app, caller):
    caller.dial()
    caller.press("9")

    turn = caller.advisor_answers()

    assert (turn.ended, turn.ended_by) == (True, "dial")
    assert len(requests_to(app, "/voice/status")) == 1


def test_a_dial_without_action_goes_on_with_the_verbs_after_it(caller):
    caller.dial()
    caller.press("0")

    turn = caller.advisor_does_not_answer()

    assert turn.heard_text() == "Le conseiller a raccroché."
    assert turn.ended_by == "end_of_document"


def test_verbs_after_a_hangup_are_not_executed(caller):
    caller.dial()

    turn = caller.press("5")

    assert turn.heard == [Utterance(url="https://cdn.example/fr/bye.mp3")]
    assert turn.ended_by == "hangup"


def test_a_500_raises_webhook_error_with_the_status_and_body(caller):
    caller.dial()

    with pytest.raises(WebhookError) as raised:
        caller.press("7")

    assert (raised.value.status, raised.value.body) == (500, "database down")
    assert caller.ended


def test_an_answer_that_is_not_twiml_raises_webhook_error(caller):
    caller.dial()

    with pytest.raises(WebhookError, match="root element is <html>") as raised:
        caller.press("6")

    assert raised.value.status == 200


def test_a_wrong_auth_token_is_refused_by_the_app(app):
    caller = SimulatedCaller.in_process(app, auth_token="not-the-token")

    with pytest.raises(WebhookError) as raised:
        caller.dial()

    assert raised.value.status == 403


def test_the_status_callback_is_posted_once_when_the_call_ends(app, caller):
    caller.dial()

    caller.wait()

    (params,) = requests_to(app, "/voice/status")
    assert params["CallStatus"] == "completed"
    assert int(params["CallDuration"]) >= 5  # the gather's time-out
    assert params["CallSid"] == caller.call_sid


def test_the_caller_hanging_up_ends_the_call_and_posts_the_status_callback(app, caller):
    caller.dial()

    turn = caller.hangup()

    assert (turn.ended, turn.ended_by, turn.heard) == (True, "caller", [])
    assert len(requests_to(app, "/voice/status")) == 1


def test_acting_on_an_ended_call_is_refused(caller):
    caller.dial()
    caller.hangup()

    with pytest.raises(CallerError, match="ended"):
        caller.press("1")


def test_pressing_keys_while_a_dial_is_pending_is_refused(caller):
    caller.dial()
    caller.press("8")

    with pytest.raises(CallerError, match="advisor"):
        caller.press("1")


def test_keys_that_are_not_on_a_keypad_are_refused(caller):
    caller.dial()

    with pytest.raises(CallerError, match="keypad"):
        caller.press("1A")


def test_heard_text_joins_everything_heard_during_the_call(caller):
    caller.dial()
    caller.press("1")
    caller.press("99#")

    assert caller.heard_text() == "Bienvenue à la CNSS.\nمرحبا بكم\nTapez votre CIN puis dièse.\nReçu 99."
    assert [turn.action for turn in caller.turns] == ["dial", "press 1", "press 99#"]


def test_post_sends_exactly_the_parameters_given_signed_or_not(app, caller):
    hostile = {"CallSid": "'; DROP TABLE calls; --", "Digits": "9" * 500}

    signed = caller.post("/cin", hostile)
    unsigned = caller.post("/cin", hostile, signed=False)

    assert (signed.status_code, unsigned.status_code) == (200, 403)
    assert requests_to(app, "/cin") == [hostile]


def test_a_base_url_with_a_path_is_signed_as_the_public_url(app):
    caller = SimulatedCaller.in_process(app, base_url="https://ivr.example.ma/cnss")

    turn = caller.dial()

    assert turn.urls == ["https://ivr.example.ma/cnss/voice/incoming"]
    assert turn.gather is not None


def test_a_call_over_http_reaches_a_running_server_and_is_signed_for_its_url(app, served_app):
    caller = SimulatedCaller.over_http(served_app, auth_token=TOKEN)

    caller.dial()
    caller.press("1")
    turn = caller.press("123#")

    assert turn.heard_text() == "Reçu 123."
    assert turn.urls == [f"{served_app}/cin"]
    assert len(requests_to(app, "/voice/status")) == 1


def test_an_unreachable_server_raises_webhook_error():
    caller = SimulatedCaller.over_http("http://127.0.0.1:9", auth_token=TOKEN, timeout=1)

    with pytest.raises(WebhookError, match="unreachable"):
        caller.dial()


def test_a_status_callback_the_app_refuses_raises_webhook_error(app):
    caller = SimulatedCaller.in_process(app, status_path="/voice/no-such-callback")
    caller.dial()

    with pytest.raises(WebhookError, match="status callback") as raised:
        caller.hangup()

    assert raised.value.status == 404
    assert caller.ended
