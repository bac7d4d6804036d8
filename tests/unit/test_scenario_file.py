"""Scenario files are read into steps, and their mistakes refused with file:line and the reason."""

from datetime import datetime

import pytest

from ivr.simulator.scenario import ScenarioError, load
from ivr.speech.catalog import Catalog


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def write(tmp_path, text: str):
    path = tmp_path / "call.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path, catalog, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as refused:
        load(path, catalog)
    return str(refused.value).replace(str(path), "call.yaml")


def test_a_scenario_is_read_into_steps_with_their_line_numbers(tmp_path, catalog):
    scenario = load(
        write(
            tmp_path,
            """\
name: Amina completes
caller: {from: "+212600000101", person: ZZ100101}
given: {registered: true, credentials_sent: 1}
clock: "2026-11-28T10:00:00+01:00"
steps:
  - expect: language.welcome
  - expect: {text: "tapez 2", language: fr}
  - press: "{cin_digits}#"
  - press: 2
  - wait
  - advisor: no-answer
  - expect_sms: {contains: immatriculation}
  - expect_transfer: {reason: identity_failed}
  - expect_sms
  - expect_transfer
  - hangup
  - expect_end
""",
        ),
        catalog,
    )
    assert scenario.name == "Amina completes" and scenario.person == "ZZ100101"
    assert scenario.from_number == "+212600000101"
    assert scenario.given == {"registered": True, "credentials_sent": 1}
    assert scenario.clock == datetime(2026, 11, 28, 9, 0)
    assert [(s.kind, s.value, s.line) for s in scenario.steps] == [
        ("expect", {"key": "language.welcome"}, 6),
        ("expect", {"text": "tapez 2", "language": "fr"}, 7),
        ("press", "{cin_digits}#", 8),
        ("press", "2", 9),
        ("wait", None, 10),
        ("advisor", "no-answer", 11),
        ("expect_sms", {"contains": "immatriculation"}, 12),
        ("expect_transfer", {"reason": "identity_failed"}, 13),
        ("expect_sms", {}, 14),
        ("expect_transfer", {}, 15),
        ("hangup", None, 16),
        ("expect_end", None, 17),
    ]
    assert scenario.needs_sandbox


@pytest.mark.parametrize(
    "steps, line, reason",
    [
        ("  - expect: menu.chose\n", 4, "'menu.chose' is not a prompt key"),
        ('  - press: "1"\n  - press: "12a"\n', 5, "press takes keypad keys"),
        ("  - press: {cin_digits}#\n", 4, "quote keys that use a placeholder"),
        ('  - press: "1\n', 5, "not valid YAML"),
        ('  - press: "1"\n  - press: {cin_digits}\n', 5, "quote keys that use a placeholder"),
        ('  - press: "{password}"\n', 4, "press takes keypad keys"),
        ("  - advisor: maybe\n", 4, "advisor takes answers, no-answer, busy"),
        ("  - expect_transfer: {reason: bored}\n", 4, "expect_transfer takes reason: one of"),
        ('  - dance: "1"\n', 4, "unknown step 'dance'"),
        ("  - wait: 5\n", 4, "wait takes no value"),
        ('  - expect: {key: menu.choose, text: "x"}\n', 4, "expect takes a prompt key"),
        ("  - expect: {key: menu.choose, language: en}\n", 4, "language must be one of ar, fr"),
    ],
)
def test_a_mistaken_step_is_refused_with_its_line_and_why(tmp_path, catalog, steps, line, reason):
    message = refusal(tmp_path, catalog, f"name: x\ncaller: {{person: ZZ100101}}\nsteps:\n{steps}")
    assert message.startswith(f"call.yaml:{line}: ")
    assert reason in message


@pytest.mark.parametrize(
    "text, line, reason",
    [
        ("caller: {person: ZZ100101}\nsteps:\n  - wait\n", 1, "a scenario needs a name"),
        ("name: x\nsteps: []\n", 2, "steps is a list of steps"),
        ("name: x\ncaler: {from: '+2126'}\nsteps:\n  - wait\n", 2, "unknown field 'caler'"),
        (
            "name: x\ncaller: {person: AB000000}\nsteps:\n  - wait\n",
            2,
            "is neither a CIN of liaison.csv nor 'synthetic'",
        ),
        ("name: x\ncaller: {person: ZZ100101}\ngiven: {registred: true}\nsteps:\n  - wait\n", 3, "given takes"),
        ("name: x\ngiven: {registered: true}\nsteps:\n  - wait\n", 2, "needs a caller person"),
        (
            "name: x\ncaller: {person: ZZ100101}\ngiven: {credentials_sent: 2}\nsteps:\n  - wait\n",
            3,
            "credentials_sent needs registered: true",
        ),
        ("name: x\nclock: '2026-11-28 10:00'\nsteps:\n  - wait\n", 2, "clock must be a date and time with its offset"),
        ("- just a list\n", 1, "a scenario is a mapping"),
    ],
)
def test_a_mistaken_scenario_is_refused_with_the_line_and_why(tmp_path, catalog, text, line, reason):
    message = refusal(tmp_path, catalog, text)
    assert message.startswith(f"call.yaml:{line}: ")
    assert reason in message
