"""`flask call` plays a simulated call from the console: what is heard is printed, keys are typed."""

import shutil
import threading

import pytest
from flask import Flask, abort, jsonify, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse
from werkzeug.serving import make_server

from ivr.cli import caller as console
from ivr.cli.caller import Transcript, call
from ivr.simulator.caller import Utterance

TOKEN = "console-test-token"
CALLER = "+212612345678"
STRANGER = "+212699999999"  # another caller, whose SMS carries their password


def fake_voice_app(outbox: list[dict]) -> Flask:
    """Build a tiny voice app: a bilingual menu, an advisor, a credential SMS put in outbox."""
    app = Flask(__name__)
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, STATUS=[])
    app.cli.add_command(call)

    @app.before_request
    def check_signature():
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    @app.post("/voice/incoming")
    def incoming():
        response = VoiceResponse()
        gather = Gather(action="/menu", num_digits=1)
        gather.say("مرحبا، للعربية اضغط 1", language="ar-AE")
        gather.say("Pour le français, tapez 2.", language="fr-FR")
        response.append(gather)
        response.say("Au revoir.", language="fr-FR")
        return str(response)

    @app.post("/menu")
    def menu():
        response = VoiceResponse()
        digits = request.form["Digits"]
        if digits == "2":
            outbox.append({"sid": f"SM{len(outbox)}", "to": CALLER, "body": "Immatriculation: 123456789"})
            response.say("Vos identifiants vous ont été envoyés.", language="fr-FR")
        elif digits == "4":  # meanwhile, another caller's credentials go out
            outbox.append({"sid": f"SM{len(outbox)}", "to": STRANGER, "body": "Mot de passe: secret-of-another"})
            response.say("Un autre appel.", language="fr-FR")
        elif digits == "5":
            gather = Gather(action="/mobile", finish_on_key="#")
            gather.say("Tapez votre mobile.", language="fr-FR")
            response.append(gather)
        elif digits == "0":
            response.append(Dial("+212520194040", action="/advisor-done"))
        elif digits == "9":
            return "boom", 500
        return str(response)

    @app.post("/mobile")
    def mobile():
        to = "+212" + request.form["Digits"][1:]
        outbox.append({"sid": f"SM{len(outbox)}", "to": to, "body": "Immatriculation: 987654321"})
        response = VoiceResponse()
        response.say("Envoyé à votre mobile.", language="fr-FR")
        return str(response)

    @app.post("/advisor-done")
    def advisor_done():
        response = VoiceResponse()
        response.say(f"Conseiller: {request.form['DialCallStatus']}.", language="fr-FR")
        return str(response)

    @app.post("/voice/status")
    def status():
        app.config["STATUS"].append(request.form["CallStatus"])
        return ""

    return app


def fake_sms_stand_in(outbox: list[dict], wrapped: bool) -> Flask:
    """Build a stand-in listing the SMS of the outbox: a bare list, or wrapped in {"messages": ...}."""
    app = Flask("sms-stand-in")

    @app.get("/_standin/messages.json")
    def messages():
        to = request.args.get("to")
        listed = [message for message in outbox if to is None or message["to"] == to]
        return jsonify({"messages": listed} if wrapped else listed)

    return app


@pytest.fixture
def outbox():
    return [{"sid": "SM-old", "to": CALLER, "body": "an SMS from before the call"}]


@pytest.fixture
def app(outbox):
    return fake_voice_app(outbox)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def serve(app):
    """Serve an app on a free local port in a thread; return its base URL and a stopper."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join()

    return f"http://127.0.0.1:{server.server_port}", stop


def test_what_is_heard_is_printed_with_its_language(runner):
    result = runner.invoke(call, input="h\n")

    assert "[ar-AE] مرحبا، للعربية اضغط 1" in result.output
    assert "[fr-FR] Pour le français, tapez 2." in result.output
    assert result.output.rstrip().endswith("-- call ended (caller)")
    assert result.exit_code == 0


def test_typed_keys_are_pressed_and_the_call_ends_with_the_document(runner, app):
    result = runner.invoke(call, input="2\n")

    assert "[fr-FR] Vos identifiants vous ont été envoyés." in result.output
    assert "-- call ended (end_of_document)" in result.output
    assert app.config["STATUS"] == ["completed"]


def test_an_empty_line_waits_for_the_time_out(runner):
    result = runner.invoke(call, input="\n")

    assert "[fr-FR] Au revoir." in result.output
    assert "-- call ended (end_of_document)" in result.output


def test_the_advisor_answering_is_typed_as_a(runner):
    result = runner.invoke(call, input="0\na\n")

    assert "... dialling +212520194040" in result.output
    assert "[fr-FR] Conseiller: completed." in result.output


def test_the_advisor_not_answering_is_typed_as_n(runner):
    result = runner.invoke(call, input="0\nn\n")

    assert "[fr-FR] Conseiller: no-answer." in result.output


def test_an_answer_the_call_cannot_take_is_asked_again(runner):
    result = runner.invoke(call, input="0\n5\nn\n")

    assert "?? not possible now" in result.output
    assert "[fr-FR] Conseiller: no-answer." in result.output


def test_the_end_of_input_hangs_up(runner, app):
    result = runner.invoke(call, input="")

    assert "-- call ended (caller)" in result.output
    assert app.config["STATUS"] == ["completed"]


def test_an_application_error_is_reported_and_fails_the_command(runner):
    result = runner.invoke(call, input="9\n")

    assert "!! An application error has occurred" in result.output
    assert "500" in result.output
    assert result.exit_code == 1


def test_a_wrong_auth_token_is_an_application_error(runner):
    result = runner.invoke(call, ["--auth-token", "wrong"], input="h\n")

    assert "403" in result.output
    assert result.exit_code == 1


@pytest.mark.parametrize("wrapped", [False, True])
def test_new_sms_from_the_stand_in_are_shown_after_the_turn(runner, outbox, wrapped):
    sms_url, stop = serve(fake_sms_stand_in(outbox, wrapped))
    try:
        result = runner.invoke(call, ["--sms-url", sms_url], input="2\n")
    finally:
        stop()

    assert f"SMS to {CALLER}: Immatriculation: 123456789" in result.output
    assert "an SMS from before the call" not in result.output


def test_an_unreachable_sms_stand_in_is_ignored(runner):
    result = runner.invoke(call, ["--sms-url", "http://127.0.0.1:9"], input="2\n")

    assert "-- call ended (end_of_document)" in result.output
    assert result.exit_code == 0


def test_url_calls_a_running_server(runner, app):
    base_url, stop = serve(app)
    try:
        result = runner.invoke(call, ["--url", base_url, "--auth-token", TOKEN, "--from", "+212700000002"], input="2\n")
    finally:
        stop()

    assert "Calling +212520447100 from +212700000002" in result.output
    assert "[fr-FR] Vos identifiants vous ont été envoyés." in result.output
    assert app.config["STATUS"] == ["completed"]


@pytest.fixture
def sms_url(outbox):
    url, stop = serve(fake_sms_stand_in(outbox, wrapped=True))
    yield url
    stop()


def test_another_callers_sms_is_not_shown_only_counted(runner, sms_url):
    result = runner.invoke(call, ["--sms-url", sms_url], input="4\n")

    assert "secret-of-another" not in result.output
    assert STRANGER not in result.output
    assert "-- 1 SMS to other numbers than this caller's during the call, not shown" in result.output


def test_all_sms_shows_every_sms_of_the_call(runner, sms_url):
    result = runner.invoke(call, ["--sms-url", sms_url, "--all-sms"], input="4\n")

    assert f"SMS to {STRANGER}: Mot de passe: secret-of-another" in result.output
    assert "an SMS from before the call" not in result.output
    assert "not shown" not in result.output


def test_sms_to_shows_another_numbers_sms_too(runner, sms_url):
    result = runner.invoke(call, ["--sms-url", sms_url, "--sms-to", STRANGER], input="4\n")

    assert f"SMS to {STRANGER}: Mot de passe: secret-of-another" in result.output


def test_the_sms_to_a_mobile_the_caller_typed_is_theirs(runner, sms_url):
    result = runner.invoke(call, ["--sms-url", sms_url], input="5\n0698765432#\n")

    assert "SMS to +212698765432: Immatriculation: 987654321" in result.output
    assert "not shown" not in result.output


def test_a_said_prompt_is_printed_as_said():
    assert Transcript().line(Utterance(text="Tapez 2.", language="fr-FR")) == "[fr-FR] Tapez 2."


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: no pieces to name")
def test_a_played_url_of_no_catalog_prompt_says_it_is_not_recognised():
    url = "http://x/audio/0123456789abcdef.wav"
    line = Transcript().line(Utterance(url=url))

    assert line == f"[play] {url} -> (not recognised: no prompt of the catalog is made of these pieces)"


def test_a_played_url_without_an_engine_to_name_pieces_says_why_it_is_not_recognised(monkeypatch):
    monkeypatch.setattr(console, "play_lookup", lambda catalog, library: None)

    line = Transcript().line(Utterance(url="http://x/audio/0123456789abcdef.wav"))

    assert line.endswith("-> (not recognised: this machine cannot name the audio's pieces (no espeak-ng))")
