"""A birth date is compared against the lockouts as they stand then, even on a call parked before they were made."""

import pytest
from sqlalchemy import func, select

from ivr.registration import lockouts
from ivr.store.models import FailedCheck, Lockout
from tests.concurrency import all_at_once
from tests.conftest import Person

from .conftest import choose, identify

WRONG_BIRTH = "01011980"  # a real date that is nobody's birth date among the test people
LOCKED_NUMBER = "+212600777888"
GUESSES = 20


@pytest.fixture
def store_url(each_empty_database):
    """Run every test of this file on SQLite, then on PostgreSQL (the app migrates the empty database)."""
    return each_empty_database


def park_at_the_birth_date_question(phone, voice, person, from_number):
    """Place a call, type a person's CIN and keep the call at the birth-date question with `*`."""
    caller = phone(from_number)
    choose(caller, "fr", "1")
    caller.press(person.cin_digits + "#")
    turn = caller.press("*")  # asked again, and not a miss: the call can wait there
    assert voice.said(caller) == ["identity.ask_birth_date"] and turn.gather is not None
    assert voice.session(caller).misses == 0
    return caller


def fail_checks(phone, voice, from_number, people_to_try):
    """Fail one check per person given, in calls from one number (a call is transferred at its third)."""
    caller = None
    for i, person in enumerate(people_to_try):
        if i % 3 == 0:
            if caller is not None:
                caller.hangup()
            caller = phone(from_number)
            choose(caller, "fr", "1")
        identify(caller, person, WRONG_BIRTH)
    return caller


def count(rt, model, *where) -> int:
    with rt.store.transaction() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def assert_locked_out(caller, turn, voice):
    assert voice.said(caller) == ["identity.locked_out"]
    assert voice.heard(turn, "identity.locked_out")
    assert turn.ended and turn.ended_by == "hangup"
    session = voice.session(caller)
    assert not session.identity_verified and session.pre_registration_id is None
    assert session.failed_checks == 0  # told "locked" without another failure counted


def outcome(voice, caller) -> str:
    return voice.steps(caller)[-1].detail["actions"]["verify_identity"]


def test_calls_parked_at_the_birth_date_question_hear_the_lockout_of_a_cin_locked_meanwhile(people, phone, voice, rt):
    amina = people["amina"]
    parked = [park_at_the_birth_date_question(phone, voice, amina, f"+21260000010{i}") for i in range(3)]
    fail_checks(phone, voice, "+212600000001", [amina] * 3)
    last = fail_checks(phone, voice, "+212600000002", [amina] * 2)
    assert voice.said(last) == ["identity.locked_out"]
    assert count(rt, FailedCheck) == lockouts.LIMITS["cin"]

    for caller in parked:
        turn = caller.press(amina.birth)  # the right birth date
        assert_locked_out(caller, turn, voice)
    assert count(rt, FailedCheck) == lockouts.LIMITS["cin"]


def test_a_call_parked_at_the_birth_date_question_hears_the_lockout_of_its_number_locked_meanwhile(
    people, phone, voice, rt
):
    amina = people["amina"]
    parked = park_at_the_birth_date_question(phone, voice, amina, LOCKED_NUMBER)
    unknowns = [Person(f"95{n:04d}", WRONG_BIRTH, "cpu", None) for n in range(lockouts.LIMITS["caller"])]
    last = fail_checks(phone, voice, LOCKED_NUMBER, unknowns)
    assert voice.said(last) == ["identity.locked_out"]

    turn = parked.press(amina.birth)  # the right birth date
    assert_locked_out(parked, turn, voice)
    assert count(rt, FailedCheck, FailedCheck.from_number == LOCKED_NUMBER) == lockouts.LIMITS["caller"]


def test_guesses_on_one_cin_released_together_count_up_to_the_limit_and_none_verifies_after_the_lock(
    people, phone, voice, rt
):
    amina = people["amina"]
    callers = [park_at_the_birth_date_question(phone, voice, amina, f"+2126000002{i:02d}") for i in range(GUESSES)]
    births = [amina.birth if i % 5 == 2 else WRONG_BIRTH for i in range(GUESSES)]  # four right guesses among them

    all_at_once([lambda c=c, b=b: c.press(b) for c, b in zip(callers, births, strict=True)])

    assert count(rt, FailedCheck) == lockouts.LIMITS["cin"]
    assert count(rt, Lockout, Lockout.kind == "cin") == 1
    # Each verify step commits under the CIN's lock: the audit's order is the order the guesses were judged in.
    judged = sorted(callers, key=lambda caller: voice.steps(caller)[-1].id)
    outcomes = [outcome(voice, caller) for caller in judged]
    first_locked = outcomes.index("locked")
    assert outcomes[:first_locked].count("mismatch") == lockouts.LIMITS["cin"] - 1
    assert set(outcomes[first_locked:]) == {"locked"}, outcomes
    for caller in judged[first_locked:]:
        assert not voice.session(caller).identity_verified
