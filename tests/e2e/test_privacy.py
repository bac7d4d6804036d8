"""No plaintext password, CIN or birth date in the store, the logs, the audit trail or a URL."""

import json
import logging
import re

import pytest
from sqlalchemy import select

from ivr.registration.importer import import_liaison_list
from ivr.store.models import CallEvent
from ivr.web.extension import runtime_of
from tests.conftest import AMINA, PEOPLE_CSV
from tests.databases import stored_bytes

from .conftest import choose, identify

WRONG_BIRTH = "01011980"
UNKNOWN_CIN = "918273"


def capture_every_logger_at_debug(caplog) -> None:
    """Capture DEBUG records of every logger, including those that set their own level (SQLAlchemy...)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def complete_registration(phone, voice):
    """AMINA completes her registration in one call and hears her number."""
    caller = phone("+212600999888")
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    caller.press("1")  # my category
    caller.press("1")  # my mobile
    assert voice.said(caller) == ["completion.completed", "credentials.sent"]
    caller.press("*")
    caller.wait()
    return caller


def fail_then_get_locked_out(phone, voice):
    """Fail checks with AMINA's CIN or birth date over two calls until her CIN is locked; then try again."""
    transferred = phone("+212600000001")
    choose(transferred, "fr", "1")
    identify(transferred, AMINA, WRONG_BIRTH)
    identify(transferred, AMINA, WRONG_BIRTH)
    transferred.press(UNKNOWN_CIN + "#")
    transferred.press(AMINA.birth)  # her birth date with another CIN
    assert voice.session(transferred).transfer_reason == "identity_failed"
    transferred.hangup()

    locked = phone("+212600000002")
    choose(locked, "fr", "1")
    for _ in range(3):
        identify(locked, AMINA, WRONG_BIRTH)  # the third is the CIN's fifth failure
    assert voice.said(locked) == ["identity.locked_out"] and locked.ended

    again = phone("+212600000003")
    choose(again, "fr", "1")
    again.press(AMINA.cin_digits + "#")
    assert voice.said(again) == ["identity.locked_out"] and again.ended
    return [transferred, locked, again]


def audit_trail(rt) -> list[str]:
    with rt.store.transaction() as db:
        return [
            json.dumps(event.detail, ensure_ascii=False) + " " + event.state for event in db.scalars(select(CallEvent))
        ]


def found_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def test_no_password_cin_or_birth_date_in_the_store_the_logs_the_audit_trail_or_the_urls(
    app, rt, phone, voice, deliver_sms, caplog, capsys
):
    capture_every_logger_at_debug(caplog)
    assert import_liaison_list(rt, PEOPLE_CSV.splitlines(keepends=True)).errors == []

    callers = [complete_registration(phone, voice)]
    [message] = deliver_sms()
    password = re.search(r"Mot de passe: (\S+?)[ .]", message["body"]).group(1)
    callers += fail_then_get_locked_out(phone, voice)

    secrets = {
        "password": password,
        "whole CIN": "AB734591",
        "typed CIN digits": AMINA.cin_digits,
        "ISO birth date": "1975-03-14",
        "typed birth date": AMINA.birth,
    }
    assert AMINA.cin_digits == "734591" and AMINA.birth == "14031975"

    stored = stored_bytes(runtime_of(app).store)
    assert stored and all(len(content) for content in stored.values())
    for name, content in stored.items():
        assert [k for k, v in secrets.items() if v.encode() in content] == [], f"in {name}"

    assert len(caplog.records) > 0
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert found_in(logged, secrets) == [], "in the logs"
    printed = capsys.readouterr()
    assert found_in(printed.out + printed.err, secrets) == [], "on stdout or stderr"

    trail = audit_trail(rt)
    assert len(trail) > 20
    assert [(row, found_in(row, secrets)) for row in trail if found_in(row, secrets)] == []

    urls = [url for caller in callers for turn in caller.turns for url in turn.urls]
    assert len(urls) > 20
    assert [(url, found_in(url, secrets)) for url in urls if found_in(url, secrets)] == []


@pytest.mark.parametrize(
    "question, typed, kept_out",
    [
        ("cin", AMINA.cin_digits + "*#", AMINA.cin_digits),
        ("birth_date", AMINA.birth[:7] + "*", AMINA.birth[:7]),
    ],
    ids=["CIN digits then star", "seven birth-date digits then star"],
)
def test_digits_typed_before_a_star_at_an_identity_question_stay_out_of_the_audit_trail(
    people, phone, voice, rt, question, typed, kept_out
):
    # A caller who made a typo presses * to hear the question again: what they typed is still theirs.
    caller = phone()
    choose(caller, "fr", "1")
    if question == "birth_date":
        caller.press(AMINA.cin_digits + "#")
    caller.press(typed)
    assert voice.said(caller) == [f"identity.ask_{question}"]  # the question is repeated
    assert [row for row in audit_trail(rt) if kept_out in row] == []
