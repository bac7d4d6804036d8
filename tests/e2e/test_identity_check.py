"""A caller proves who they are with their CIN digits and birth date; failures are counted and locked out."""

import pytest
from sqlalchemy import select

from ivr.factory import create_app
from ivr.registration.importer import import_liaison_list
from ivr.simulator.caller import SimulatedCaller
from ivr.store.models import FailedCheck
from ivr.web.extension import runtime_of
from tests.conftest import Person

from .conftest import choose, identify

WRONG_BIRTH = "01011980"  # a real date that is nobody's birth date among the test people
UNKNOWN = Person("918273", "14031975", "medecin", None)  # CIN digits that are on no list


def unknown_person(n: int) -> Person:
    """Return a distinct CIN that is on no list, with a well-shaped birth date."""
    return Person(f"95{n:04d}", WRONG_BIRTH, "cpu", None)


def start_identity_check(phone, from_number: str = "+212600111222"):
    """Place a call, choose French and option 1: the call is at the CIN question (or locked out)."""
    caller = phone(from_number)
    choose(caller, "fr", "1")
    return caller


def attempt(caller, person, birth: str | None = None):
    """Type the CIN digits, then the birth date if the call still asks for it."""
    turn = caller.press(person.cin_digits + "#")
    return turn if turn.ended else caller.press(birth or person.birth)


def fail_and_get_transferred(caller, people_to_try, voice):
    """Fail three checks in one call (one per person given): the third transfers; hang up on the advisor."""
    for person in people_to_try:
        turn = identify(caller, person, WRONG_BIRTH)
    assert turn.dial is not None and voice.session(caller).transfer_reason == "identity_failed"
    caller.hangup()


def spoken(turn) -> list[tuple[str, str]]:
    """Return the parsed <Say> texts of a turn, with their language."""
    return [(u.text, u.language) for u in turn.heard]


def failed_checks(rt) -> list[FailedCheck]:
    with rt.store.transaction() as db:
        return list(db.scalars(select(FailedCheck)))


def assert_locked_out(caller, turn, voice):
    assert voice.said(caller) == ["identity.locked_out"]
    assert voice.heard(turn, "identity.locked_out")
    assert turn.ended and turn.ended_by == "hangup"
    assert not voice.session(caller).identity_verified


# Same answer whether the CIN is known or not.


def test_a_wrong_birth_date_and_an_unknown_cin_get_exactly_the_same_answer(people, phone, voice):
    known = start_identity_check(phone, "+212600000001")
    wrong_birth = identify(known, people["amina"], WRONG_BIRTH)
    unknown = start_identity_check(phone, "+212600000002")
    unknown_cin = identify(unknown, UNKNOWN)

    assert voice.said(known) == voice.said(unknown) == ["identity.no_match", "identity.ask_cin"]
    assert spoken(wrong_birth) == spoken(unknown_cin)
    assert voice.heard(wrong_birth, "identity.no_match")
    assert wrong_birth.gather == unknown_cin.gather
    assert wrong_birth.xml == unknown_cin.xml  # nothing in the TwiML tells the two apart


def test_the_third_failed_check_of_a_call_transfers_to_the_advisor(people, phone, voice, app):
    caller = start_identity_check(phone)
    identify(caller, people["amina"], WRONG_BIRTH)
    identify(caller, UNKNOWN)
    turn = identify(caller, people["youssef"], WRONG_BIRTH)

    assert voice.said(caller) == ["advisor.connecting"]
    assert turn.dial is not None and turn.dial.number == app.config["ADVISOR_NUMBER"]
    session = voice.session(caller)
    assert session.transfer_reason == "identity_failed" and not session.identity_verified
    assert session.transfer_state == "identity.verify"
    assert session.failed_checks == 3


# Input of the wrong shape is re-asked and is not a failed check.


@pytest.mark.parametrize("typed", ["12#", "7" * 10000 + "#"], ids=["two digits", "ten thousand digits"])
def test_cin_digits_of_the_wrong_shape_are_asked_again_and_not_counted_as_a_failed_check(
    people, phone, voice, rt, typed
):
    caller = start_identity_check(phone)
    turn = caller.press(typed)
    assert voice.said(caller) == ["identity.cin_invalid"] and turn.gather is not None
    assert failed_checks(rt) == []
    assert voice.session(caller).failed_checks == 0

    identify(caller, people["amina"])
    assert voice.said(caller) == ["category.confirm"]


@pytest.mark.parametrize(
    "typed", ["31022001", "26112026", "1234567"], ids=["a day that does not exist", "tomorrow", "seven digits"]
)
def test_a_birth_date_of_the_wrong_shape_is_asked_again_and_not_counted_as_a_failed_check(
    people, phone, voice, rt, clock, typed
):
    assert clock.now.strftime("%d%m%Y") == "25112026"  # so 26112026 is in the future
    amina = people["amina"]
    caller = start_identity_check(phone)
    caller.press(amina.cin_digits + "#")
    turn = caller.press(typed)
    assert voice.said(caller) == ["identity.birth_date_invalid"] and turn.gather is not None
    assert failed_checks(rt) == []
    assert voice.session(caller).failed_checks == 0

    caller.press(amina.birth)
    assert voice.said(caller) == ["category.confirm"]


def test_wrong_shapes_at_both_questions_leave_the_caller_all_three_identity_checks(people, phone, voice, rt):
    amina = people["amina"]
    caller = start_identity_check(phone)
    caller.press("12#")
    caller.press(amina.cin_digits + "#")
    caller.press("31022001")
    caller.press(WRONG_BIRTH)  # first failed check
    caller.press("12#")
    caller.press(UNKNOWN.cin_digits + "#")
    caller.press("1234567")
    caller.press(UNKNOWN.birth)  # second failed check
    assert voice.said(caller) == ["identity.no_match", "identity.where_lists_come_from", "identity.ask_cin"]
    assert len(failed_checks(rt)) == 2 and voice.session(caller).failed_checks == 2
    identify(caller, amina)  # a third failed check would have transferred the call
    assert voice.said(caller) == ["category.confirm"]


# Five failed checks for one CIN within 24 hours lock that CIN.


def lock_cin(phone, voice, person):
    """Fail 3 checks for a CIN in one call and 2 in a call from another number; return the last turn."""
    first = start_identity_check(phone, "+212600000001")
    fail_and_get_transferred(first, [person] * 3, voice)
    second = start_identity_check(phone, "+212600000002")
    identify(second, person, WRONG_BIRTH)
    assert voice.said(second) == ["identity.no_match", "identity.ask_cin"]
    return second, identify(second, person, WRONG_BIRTH)


@pytest.mark.parametrize("who", ["amina", "unknown"], ids=["a listed CIN", "a CIN on no list"])
def test_the_fifth_failed_check_for_a_cin_across_calls_and_numbers_locks_it_and_ends_the_call(
    people, phone, voice, who
):
    # A CIN on no list locks the same way: the lockout must not tell which CINs are listed either.
    caller, turn = lock_cin(phone, voice, people.get(who, UNKNOWN))
    assert_locked_out(caller, turn, voice)


@pytest.fixture
def other_server(settings):
    """A second app on the same store: another server process, sharing nothing but the database."""
    app = create_app(settings)
    yield app
    runtime_of(app).store.dispose()


def test_failed_checks_made_through_another_server_count_towards_the_cin_lockout(people, phone, voice, other_server):
    amina = people["amina"]
    first = start_identity_check(phone, "+212600000001")
    fail_and_get_transferred(first, [amina] * 3, voice)
    second = SimulatedCaller.in_process(other_server, from_number="+212600000002")
    choose(second, "fr", "1")
    identify(second, amina, WRONG_BIRTH)
    assert_locked_out(second, identify(second, amina, WRONG_BIRTH), voice)


def test_a_locked_cin_stays_locked_even_with_the_right_birth_date(people, phone, voice):
    amina = people["amina"]
    lock_cin(phone, voice, amina)
    caller = start_identity_check(phone, "+212600000003")
    turn = attempt(caller, amina)
    assert_locked_out(caller, turn, voice)
    assert voice.session(caller).pre_registration_id is None


def test_a_locked_cin_is_open_again_after_24_hours(people, phone, voice, clock):
    amina = people["amina"]
    lock_cin(phone, voice, amina)
    clock.advance(hours=24, minutes=1)
    caller = start_identity_check(phone, "+212600000003")
    identify(caller, amina)
    assert voice.said(caller) == ["category.confirm"] and voice.session(caller).identity_verified


def test_a_locked_cin_does_not_lock_other_cins(people, phone, voice):
    lock_cin(phone, voice, people["amina"])
    caller = start_identity_check(phone, "+212600000002")  # the number that made the fifth failure
    identify(caller, people["salma"])
    assert voice.said(caller) == ["category.confirm"]


def test_failed_checks_older_than_24_hours_do_not_count_towards_the_cin_lockout(people, phone, voice, clock):
    amina = people["amina"]
    first = start_identity_check(phone, "+212600000001")
    fail_and_get_transferred(first, [amina] * 3, voice)
    clock.advance(hours=24, minutes=1)
    second = start_identity_check(phone, "+212600000002")
    identify(second, amina, WRONG_BIRTH)
    identify(second, amina, WRONG_BIRTH)
    assert voice.said(second) == ["identity.no_match", "identity.where_lists_come_from", "identity.ask_cin"]
    identify(second, amina)
    assert voice.said(second) == ["category.confirm"]


def test_five_failed_checks_within_24_hours_lock_even_when_spread_over_a_day(people, phone, voice, clock):
    amina = people["amina"]
    first = start_identity_check(phone, "+212600000001")
    fail_and_get_transferred(first, [amina] * 3, voice)
    clock.advance(hours=23)
    second = start_identity_check(phone, "+212600000002")
    identify(second, amina, WRONG_BIRTH)
    assert_locked_out(second, identify(second, amina, WRONG_BIRTH), voice)


# Ten failed checks from one calling number within 24 hours lock that number.

LOCKED_NUMBER = "+212600777888"


def lock_number(phone, voice):
    """Fail 10 checks from one number, each with another CIN: three calls transferred, then a fourth."""
    unknowns = iter(unknown_person(n) for n in range(10))
    for _ in range(3):
        caller = start_identity_check(phone, LOCKED_NUMBER)
        fail_and_get_transferred(caller, [next(unknowns) for _ in range(3)], voice)
    caller = start_identity_check(phone, LOCKED_NUMBER)
    return caller, identify(caller, next(unknowns))


def test_the_tenth_failed_check_from_one_number_within_24_hours_locks_out_the_call(people, phone, voice):
    caller, turn = lock_number(phone, voice)
    assert_locked_out(caller, turn, voice)


@pytest.mark.parametrize("option", ["1", "3"], ids=["complete my registration", "send my credentials again"])
def test_a_locked_number_is_told_so_right_after_choosing_the_option_before_any_cin(people, phone, voice, option):
    lock_number(phone, voice)
    caller = phone(LOCKED_NUMBER)
    choose(caller, "fr")
    turn = caller.press(option)
    assert_locked_out(caller, turn, voice)
    assert "identity.ask_cin" not in [key for step in voice.steps(caller) for key in step.detail["said"]]


def test_a_locked_number_does_not_lock_other_numbers(people, phone, voice):
    lock_number(phone, voice)
    caller = start_identity_check(phone, "+212600999000")
    assert voice.said(caller) == ["identity.ask_cin"]
    identify(caller, people["amina"])
    assert voice.said(caller) == ["category.confirm"]


def test_a_locked_number_is_open_again_after_24_hours(people, phone, voice, clock):
    lock_number(phone, voice)
    clock.advance(hours=24, minutes=1)
    caller = start_identity_check(phone, LOCKED_NUMBER)
    assert voice.said(caller) == ["identity.ask_cin"]
    identify(caller, people["amina"])
    assert voice.said(caller) == ["category.confirm"]


# How the CIN digits are typed, and the keys every question accepts.


def test_cin_digits_match_the_same_person_with_or_without_a_leading_zero(people, phone, voice):
    amina = people["amina"]
    for typed in (amina.cin_digits, "0" + amina.cin_digits):
        caller = start_identity_check(phone)
        identify(caller, Person(typed, amina.birth, amina.category, amina.mobile))
        assert voice.said(caller) == ["category.confirm"], typed
        assert voice.session(caller).identity_verified


def test_a_cin_with_a_leading_zero_on_file_matches_with_or_without_it(rt, people, phone, voice):
    csv = [
        "cin,last_name,first_name,birth_date,category,mobile,source\n",
        "IJ052731,ZERO,Nadia,1990-09-21,pharmacien,0663112233,Test\n",
    ]
    assert import_liaison_list(rt, csv).errors == []
    for typed in ("052731", "52731"):
        caller = start_identity_check(phone)
        identify(caller, Person(typed, "21091990", "pharmacien", None))
        assert voice.said(caller) == ["category.confirm"], typed


def test_zero_then_hash_at_the_cin_question_reaches_the_advisor(people, phone, voice, app, rt):
    caller = start_identity_check(phone)
    turn = caller.press("0#")
    assert turn.dial is not None and turn.dial.number == app.config["ADVISOR_NUMBER"]
    session = voice.session(caller)
    assert session.transfer_reason == "caller_request" and session.transfer_state == "identity.ask_cin"
    assert failed_checks(rt) == []


def test_star_at_the_birth_date_question_repeats_it_without_counting_a_miss(people, phone, voice, rt):
    amina = people["amina"]
    caller = start_identity_check(phone)
    caller.press(amina.cin_digits + "#")
    for _ in range(3):  # three misses would transfer to the advisor
        turn = caller.press("*")
        assert voice.said(caller) == ["identity.ask_birth_date"]
        assert voice.heard(turn, "identity.ask_birth_date") and turn.gather is not None
    assert voice.session(caller).misses == 0 and failed_checks(rt) == []
    caller.press(amina.birth)
    assert voice.said(caller) == ["category.confirm"]
