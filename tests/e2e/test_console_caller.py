"""A tester plays a whole call from a terminal: `flask --app app call`, driven through a pseudo-terminal."""

from __future__ import annotations

import os
import shutil
import wave
from array import array

import pexpect
import pytest
from sqlalchemy import select

from ivr.store.models import Registration
from tests.commands import on_a_terminal, run_flask
from tests.conftest import AUTH_TOKEN

KEYS_PROMPT = r"\[keys \(0-9 \* #\), empty line = wait, h = hang up\]"


@pytest.fixture
def settings(settings):
    settings["IVR_SMS_SENDER"] = "thread"  # the SMS must arrive while the console watches
    return settings


@pytest.fixture
def console(served_app, twilio_api, people, tmp_path):
    """Start the console caller in a pseudo-terminal, calling the served app as Amina's phone."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
        "IVR_SECRET_KEY": "console-" + "s" * 56,
        "PYTHONUNBUFFERED": "1",
    }
    args = ["call", "--url", served_app, "--auth-token", AUTH_TOKEN, "--from", people["amina"].mobile]
    child = on_a_terminal(*args, "--sms-url", twilio_api.base_url, env=env, dimensions=(24, 80))
    yield child
    child.close(force=True)


def answer(child, keys: str, then: str) -> None:
    """Wait for the keypad prompt, type keys and Enter, and wait until `then` is printed."""
    child.expect(KEYS_PROMPT)
    child.sendline(keys)
    child.expect(then)


def test_a_tester_completes_a_registration_from_the_terminal_and_sees_the_sms(console, rt, people):
    amina = people["amina"]
    console.expect("Calling .* from " + amina.mobile.replace("+", r"\+"))
    console.expect("Bienvenue au serveur vocal")

    answer(console, "2", "Pour finaliser votre immatriculation")
    answer(console, "1", "carte nationale d'identité")
    answer(console, amina.cin_digits + "#", "date de naissance en huit chiffres")
    answer(console, amina.birth, "Votre organisme de liaison vous a déclaré")
    answer(console, "1", "se terminant par")
    answer(console, "1", "Pour réécouter votre numéro")
    # The SMS is printed as it arrives, while the console still waits for keys.
    console.expect(r"SMS to \+212661234578: ([^\r\n]*)\r\n")
    sms_body = console.match.group(1)
    console.sendline("h")
    console.expect(r"-- call ended \(caller\)")
    console.expect(pexpect.EOF)
    console.close()

    with rt.store.transaction() as db:
        number = db.scalars(select(Registration.number)).one()
    assert number in sms_body
    assert console.exitstatus == 0


def test_an_empty_line_lets_the_question_time_out_and_h_hangs_up(console):
    console.expect("Bienvenue au serveur vocal")

    answer(console, "", "Nous n'avons pas entendu votre choix")
    answer(console, "h", r"-- call ended \(caller\)")
    console.expect(pexpect.EOF)
    console.close()
    assert console.exitstatus == 0


def test_keys_the_keypad_does_not_have_are_refused_and_asked_again(console):
    console.expect("Bienvenue au serveur vocal")

    answer(console, "2x", r"\?\? 'x'|\?\? '2x' is not a sequence of keypad keys")
    console.expect(KEYS_PROMPT)
    console.sendeof()  # end of input: the caller puts the phone down
    console.expect(r"-- call ended \(caller\)")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: no voice to speak <Say>")
def test_audio_writes_what_the_caller_heard_as_one_telephone_wav(app, tmp_path):
    path = tmp_path / "call.wav"
    result = app.test_cli_runner().invoke(args=["call", "--audio", str(path)], input="\nh\n")

    assert result.exit_code == 0, result.output
    assert f"-- what the caller heard: {path}" in result.output
    with wave.open(str(path)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        seconds = audio.getnframes() / audio.getframerate()
    # The welcome, the bilingual choice and its reprompt: well over five seconds of speech.
    assert seconds > 5
    samples = array("h", path.read_bytes()[44:])
    assert max(abs(sample) for sample in samples) > 1000  # speech, not silence


def registration_keys(person) -> str:
    """Return a whole registration typed at the console, then h: French, complete, identity, category, mobile."""
    return "\n".join(["2", "1", person.cin_digits + "#", person.birth, "1", "1", "h"]) + "\n"


def test_a_call_played_from_the_console_and_recorded_replays_as_a_passing_scenario(app, people, tmp_path):
    amina, path = people["amina"], tmp_path / "recorded.yaml"
    runner = app.test_cli_runner()

    played = runner.invoke(args=["call", "--from", amina.mobile, "--record", str(path)], input=registration_keys(amina))

    assert played.exit_code == 0, played.output
    assert f"-- the call as a scenario: {path}; replay it with: flask --app app replay {path}" in played.output
    recorded = path.read_text(encoding="utf-8")
    assert 'press: "{cin_digits}#"' in recorded and 'press: "{birth_date}"' in recorded  # a test person's
    for secret in (amina.cin_digits, amina.birth, amina.mobile):
        assert secret not in recorded
    replayed = runner.invoke(args=["replay", str(path)])
    assert replayed.exit_code == 0, replayed.output
    assert "1 passed, 0 failed, 0 skipped" in replayed.output


def test_a_call_to_a_running_server_is_recorded_and_another_numbers_sms_is_never_printed(
    app, served_app, twilio_api, people, tmp_path
):
    # The default calling number is not Amina's mobile: the SMS her registration sends is not this caller's.
    path = tmp_path / "recorded.yaml"
    runner = app.test_cli_runner()

    played = runner.invoke(
        args=["call", "--url", served_app, "--twilio-url", twilio_api.base_url, "--record", str(path)],
        input=registration_keys(people["amina"]),
    )

    assert played.exit_code == 0, played.output
    assert "Votre immatriculation à l'assurance maladie obligatoire est finalisée." in played.output
    assert people["amina"].mobile not in played.output and "Mot de passe" not in played.output
    replayed = runner.invoke(args=["replay", str(path)])
    assert replayed.exit_code == 0, replayed.output


def test_a_call_the_server_keeps_in_another_database_is_not_recorded_and_says_why(served_app, tmp_path):
    path = tmp_path / "recorded.yaml"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}", "IVR_SECRET_KEY": "e" * 64}
    command = ["call", "--url", served_app, "--auth-token", AUTH_TOKEN, "--record", str(path)]
    result = run_flask(*command, env=env, input="h\n")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"in the audit trail (the server at {served_app} must keep its calls in this command's DATABASE_URL)" in (
        result.stdout
    )
    assert not path.exists()
