"""The demo end to end: a tester calls from the console, reaches an advisor, and an agent's transfer
through the agents' API sends the call back into the identity check, which the console then says."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pexpect
import pytest
import requests

from ivr.twilio_rest import make_client
from tests.agent_support import new_agent
from tests.commands import on_a_terminal
from tests.conftest import AUTH_TOKEN
from tests.waiting import wait_until

from .conftest import LANGUAGE_KEYS

KEYS_PROMPT = r"\[keys \(0-9 \* #\), empty line = wait, h = hang up\]"
DIAL_PROMPT = r"\[a = the advisor answers, n = no answer, h = hang up\]"
ADVISOR_PROMPT = r"\[with the advisor until an agent transfers the call: e = the advisor hangs up, h = hang up\]"
CALLER = "+212600777888"


@pytest.fixture
def console(served_app, twilio_api, tmp_path):
    """Start the console caller in a pseudo-terminal, calling the served app, the stand-in as its Twilio."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
        "IVR_SECRET_KEY": "console-" + "s" * 56,
        "PYTHONUNBUFFERED": "1",
    }
    args = ["call", "--url", served_app, "--auth-token", AUTH_TOKEN, "--from", CALLER]
    child = on_a_terminal(*args, "--twilio-url", twilio_api.base_url, env=env, dimensions=(24, 80))
    yield child
    child.close(force=True)


class Agent:
    """An agent using the agents' JSON API of the served app with their Bearer token, over HTTP."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.headers = base_url, {"Authorization": f"Bearer {token}"}

    def waiting_call_from(self, number: str) -> dict | None:
        calls = requests.get(f"{self.base_url}/agent/calls", headers=self.headers, timeout=10).json()["calls"]
        return next((call for call in calls if call["from_number"] == number), None)

    def transfer(self, call_sid: str, target: str, language: str) -> requests.Response:
        return requests.post(
            f"{self.base_url}/agent/calls/{call_sid}/transfer",
            json={"target": target, "language": language},
            headers=self.headers,
            timeout=30,
        )


def reach_the_advisor_from_the_console(console, language: str) -> str:
    """Pick a language, press 0 and let the advisor answer (`a`); return the call's CallSid."""
    console.expect(r"Calling .* \((CA[0-9a-f]{32})\)")
    call_sid = console.match.group(1)
    console.expect("the Twilio stand-in knows the call")
    console.expect(KEYS_PROMPT)
    console.sendline(LANGUAGE_KEYS[language])
    console.expect(KEYS_PROMPT)
    console.sendline("0")
    console.expect(r"\.\.\. dialling ")
    console.expect(DIAL_PROMPT)
    console.sendline("a")
    console.expect("the advisor answered")
    console.expect(ADVISOR_PROMPT)
    return call_sid


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_agents_transfer_sends_the_console_call_from_the_advisor_into_the_identity_check(
    console, served_app, twilio_api, rt, voice, language
):
    call_sid = reach_the_advisor_from_the_console(console, language)
    assert twilio_api.call_view(call_sid)["status"] == "in-progress"
    agent = Agent(served_app, new_agent(rt, "Fatima"))
    waiting = wait_until(lambda: agent.waiting_call_from(CALLER), "the call among the advisors' calls", within=10)
    assert waiting["call_sid"] == call_sid and waiting["with_advisor"] is True

    answer = agent.transfer(call_sid, "identity.check_caller", language)

    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "identity.check_caller"
    console.expect("an agent transferred the call", timeout=10)
    console.expect(re.escape(voice.text("identity.ask_cin", language)), timeout=30)
    console.expect(KEYS_PROMPT)
    assert voice.said(SimpleNamespace(call_sid=call_sid)) == ["identity.ask_cin"]
    console.sendline("h")
    console.expect(r"-- call ended \(caller\)")
    console.expect(pexpect.EOF)
    console.close()
    assert console.exitstatus == 0
    assert twilio_api.call_view(call_sid)["status"] == "completed"


def test_the_advisor_keeps_the_caller_until_the_tester_hangs_up_and_a_late_transfer_is_refused(
    console, served_app, twilio_api, rt
):
    call_sid = reach_the_advisor_from_the_console(console, "fr")
    console.sendline("")  # an empty line: still with the advisor, asked again
    console.expect(ADVISOR_PROMPT)
    console.sendline("h")
    console.expect(r"-- call ended \(caller\)")
    console.expect(pexpect.EOF)
    wait_until(lambda: twilio_api.call_view(call_sid)["status"] == "completed", "the stand-in told of the end")

    answer = Agent(served_app, new_agent(rt, "Karim")).transfer(call_sid, "identity", "fr")

    assert answer.status_code == 409 and answer.json()["error"] == "call_finished"
    assert twilio_api.call_updates == []


def test_e_lets_the_advisor_hang_up_and_the_call_ends_as_the_flows_say(console, voice):
    reach_the_advisor_from_the_console(console, "fr")
    console.sendline("e")
    console.expect(re.escape(voice.text("common.goodbye", "fr")))
    console.expect(r"-- call ended \(hangup\)|-- call ended \(end_of_document\)")
    console.expect(pexpect.EOF)


def test_a_call_hung_up_through_twilios_api_ends_in_the_console(console, twilio_api, settings):
    call_sid = reach_the_advisor_from_the_console(console, "fr")

    make_client(settings).calls(call_sid).update(status="completed")

    console.expect("the call was hung up through Twilio's API", timeout=10)
    console.expect(r"-- call ended \(api\)")
    console.expect(pexpect.EOF)
