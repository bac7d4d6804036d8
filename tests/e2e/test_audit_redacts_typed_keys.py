"""What a caller types stays out of the audit trail, whatever the question; a menu's one key is kept."""

import json

from sqlalchemy import select

from ivr.sensitive import REDACTED
from ivr.simulator.export import export_call
from ivr.simulator.twiml_reader import Gather, parse
from ivr.store.models import CallEvent

from .conftest import choose, identify

BIRTH_DATE = "28021985"
TYPED_MOBILE = "0698765432"


def audit_rows(rt) -> list[str]:
    """Return every call_events row as text: its state and its detail."""
    with rt.store.transaction() as db:
        events = db.scalars(select(CallEvent))
        return [f"{event.state} {json.dumps(event.detail, ensure_ascii=False)}" for event in events]


def inputs(voice, caller) -> list[str]:
    return [step.detail.get("input") for step in voice.steps(caller) if "input" in step.detail]


def test_a_birth_date_and_a_mobile_typed_at_the_mobile_question_are_not_in_the_audit_trail(people, phone, voice, rt):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["youssef"])  # no mobile on file: asked to type one
    caller.press("1")
    assert voice.said(caller) == ["completion.ask_mobile"]
    caller.press(BIRTH_DATE + "#")
    assert voice.said(caller) == ["completion.mobile_invalid"]
    caller.press(TYPED_MOBILE)
    assert voice.said(caller) == ["completion.confirm_typed_mobile"]

    assert [row for row in audit_rows(rt) if BIRTH_DATE in row or TYPED_MOBILE[1:] in row] == []
    assert inputs(voice, caller)[-2:] == [f"{REDACTED}(input)"] * 2


def test_a_birth_date_sent_as_the_keys_of_a_menu_is_not_in_the_audit_trail(phone, voice, rt):
    # Twilio sends one key at a menu; a request with more (the caller's keys all the same) is kept out too.
    caller = phone()
    choose(caller, "fr")
    seq = voice.session(caller).seq
    response = caller.post(f"/voice/step?seq={seq}", caller.call_params(Digits=BIRTH_DATE))
    assert response.status_code == 200
    assert any(isinstance(verb, Gather) for verb in parse(response.content))
    assert voice.steps(caller)[-1].detail["miss"] == "invalid"

    assert [row for row in audit_rows(rt) if BIRTH_DATE in row] == []
    assert inputs(voice, caller)[-1] == f"{REDACTED}(input)"


def test_the_one_key_chosen_at_a_menu_and_the_reserved_keys_are_kept_for_the_audit(people, phone, voice):
    caller = phone()
    choose(caller, "fr", "1")
    caller.press("*")
    caller.press("0#")
    assert inputs(voice, caller) == ["2", "1", "*", "0"]


def test_a_call_with_redacted_keys_at_a_menu_still_exports_with_an_invalid_key_there(phone, voice, rt):
    caller = phone()
    choose(caller, "fr")
    caller.post(f"/voice/step?seq={voice.session(caller).seq}", caller.call_params(Digits=BIRTH_DATE))
    caller.hangup()

    exported = export_call(rt, caller.call_sid)
    assert BIRTH_DATE not in exported
    presses = [line.split(": ", 1)[1].strip('"') for line in exported.splitlines() if "- press:" in line]
    assert len(presses) == 2  # the language, then the keys sent to the main menu
    assert len(presses[1]) == 1 and presses[1] not in rt.flows["menu.choose"].keys
