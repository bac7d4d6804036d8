"""Every menu of the call: the bilingual greeting, the information dates, repeat, advisor, misses, endings."""

import pytest

from ivr.factory import create_app
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Dial, Gather, Hangup, Say, parse
from ivr.web.extension import runtime_of

from .conftest import choose, identify

MAX_TURNS = 10  # far more than any question's three attempts
SHORT_CALL_STEPS = 6  # IVR_MAX_STEPS_PER_CALL for the tests of a call that never stops


# Reaching each question of the flows. Each returns the caller and the turn that asked the question.


def at_language(phone, people):
    caller = phone()
    return caller, caller.dial()


def at_main_menu(phone, people):
    caller = phone()
    return caller, choose(caller, "fr")


def at_info_menu(phone, people):
    caller = phone()
    return caller, choose(caller, "fr", "2")


def at_info_dates(phone, people):
    caller, _ = at_info_menu(phone, people)
    return caller, caller.press("3")


def at_cin(phone, people):
    caller = phone()
    return caller, choose(caller, "fr", "1")


def at_birth_date(phone, people):
    caller, _ = at_cin(phone, people)
    return caller, caller.press(people["amina"].cin_digits + "#")


def at_category(phone, people):
    caller, _ = at_cin(phone, people)
    return caller, identify(caller, people["amina"])


def at_mobile_on_file(phone, people):
    caller, _ = at_category(phone, people)
    return caller, caller.press("1")


def at_typed_mobile(phone, people):
    caller, _ = at_cin(phone, people)
    identify(caller, people["youssef"])
    return caller, caller.press("1")


def at_typed_mobile_confirmation(phone, people):
    caller, _ = at_typed_mobile(phone, people)
    return caller, caller.press("0698765432")


def at_credentials(phone, people):
    caller, _ = at_mobile_on_file(phone, people)
    return caller, caller.press("1")


def at_already_complete(phone, people):
    first, _ = at_credentials(phone, people)
    first.hangup()
    caller, _ = at_cin(phone, people)
    return caller, identify(caller, people["amina"])


QUESTIONS = {
    "language.choose": at_language,
    "menu.choose": at_main_menu,
    "info.choose": at_info_menu,
    "info.tell": at_info_dates,
    "identity.ask_cin": at_cin,
    "identity.ask_birth_date": at_birth_date,
    "category.confirm": at_category,
    "completion.confirm_mobile": at_mobile_on_file,
    "completion.ask_mobile": at_typed_mobile,
    "completion.confirm_typed_mobile": at_typed_mobile_confirmation,
    "completion.already_complete": at_already_complete,
    "credentials.sent": at_credentials,
}
# Questions that take free input end it with #, so 0 alone must be followed by #.
FREE_INPUT = {"identity.ask_cin", "identity.ask_birth_date", "completion.ask_mobile"}


@pytest.fixture(params=list(QUESTIONS))
def question(request, phone, people, voice):
    """A caller waiting at one question of the flows: (state name, caller, turn that asked it)."""
    state = request.param
    caller, turn = QUESTIONS[state](phone, people)
    assert current_state(voice, caller) == state and turn.gather is not None
    return state, caller, turn


def current_state(voice, caller) -> str:
    session = voice.session(caller)
    return f"{session.flow}.{session.state}"


def verbs(turn) -> list:
    """Return the verbs of a turn's last TwiML answer; parse() refuses anything that is not TwiML."""
    assert turn.status == 200
    return parse(turn.xml)


def spoken(turn) -> list[tuple[str, str]]:
    """Return what a turn said, as (Say language, text) pairs."""
    verbs(turn)
    return [(u.language, u.text) for u in turn.heard]


def press_advisor_key(caller, state):
    return caller.press("0#" if state in FREE_INPUT else "0")


def is_transferred(turn) -> bool:
    return turn.dial is not None and any(isinstance(v, Dial) for v in verbs(turn))


# The greeting and the language.


def test_greeting_is_bilingual_and_both_languages_play_inside_the_gather(phone, voice):
    caller = phone()
    turn = caller.dial()
    document = verbs(turn)
    [gather] = [v for v in document if isinstance(v, Gather)]
    assert not any(isinstance(v, Say) for v in document)  # nothing is said outside the <Gather>
    assert {say.language for say in gather.children} == {"arb", "fr-FR"}
    assert gather.num_digits == 1 and gather.action
    for language in ("ar", "fr"):
        assert voice.heard(turn, "language.welcome", language)
        assert voice.heard(turn, "language.choose", language)
    assert gather.children[0].language == "arb"  # a first-time caller hears Arabic first


def test_caller_can_type_ahead_during_the_greeting(phone, voice):
    caller = phone()
    caller.dial()
    turn = caller.press("2")  # the key is taken by the <Gather> that plays the greeting
    assert voice.heard(turn, "menu.choose", "fr")


def test_returning_caller_who_chose_french_hears_french_first_and_may_still_choose_arabic(phone, voice):
    number = "+212600123123"
    first = phone(number)
    choose(first, "fr")
    first.hangup()

    again = phone(number)
    turn = again.dial()
    [gather] = [v for v in verbs(turn) if isinstance(v, Gather)]
    assert gather.children[0].language == "fr-FR"
    assert voice.heard(turn, "language.choose", "ar")  # the choice is always possible
    turn = again.press("1")
    assert voice.heard(turn, "menu.choose", "ar")


def test_another_callers_choice_does_not_change_the_greeting_order(phone):
    french = phone("+212600123123")
    choose(french, "fr")
    french.hangup()
    turn = phone("+212600999000").dial()
    [gather] = [v for v in verbs(turn) if isinstance(v, Gather)]
    assert gather.children[0].language == "arb"


@pytest.mark.parametrize("key, language, say_language", [("1", "ar", "arb"), ("2", "fr", "fr-FR")])
def test_chosen_language_is_the_only_one_spoken_from_then_on(phone, voice, key, language, say_language):
    caller = phone()
    caller.dial()
    turns = [caller.press(key), caller.press("2"), caller.press("4")]
    for turn in turns:
        assert turn.heard and {lang for lang, _ in spoken(turn)} == {say_language}
    assert voice.heard(turns[0], "menu.choose", language)
    assert voice.session(caller).language == language


# Information only: the dates of each group of categories, no identity needed.


@pytest.mark.parametrize(
    "option, label, due_month, coverage",
    [
        ("1", "contribution professionnelle unique", "décembre 2021", "1er janvier 2022"),
        ("2", "commerçants et artisans", "janvier 2022", "1er février 2022"),
        ("3", "médecins", "janvier 2022", "1er février 2022"),
        ("4", "auto-entrepreneurs", "février 2022", "1er mars 2022"),
    ],
)
def test_information_menu_tells_each_groups_dates_without_any_identity(
    phone, voice, option, label, due_month, coverage
):
    caller = phone()
    choose(caller, "fr", "2")
    turn = caller.press(option)
    text = turn.heard_text()
    assert label in text
    assert f"exigibles à partir de {due_month}," in text
    assert f"commence le {coverage}." in text
    assert voice.said(caller) == ["info.dates"] and turn.gather is not None
    session = voice.session(caller)
    assert not session.identity_verified and session.pre_registration_id is None


def test_information_dates_are_spoken_in_arabic_to_an_arabic_caller(phone, voice):
    caller = phone()
    choose(caller, "ar", "2")
    turn = caller.press("1")
    text = turn.heard_text()
    assert "دجنبر ألفين وواحد وعشرين" in text and "فاتح يناير ألفين واثنين وعشرين" in text
    assert {lang for lang, _ in spoken(turn)} == {"arb"}


def test_after_the_dates_1_offers_another_category_and_9_the_main_menu(phone, voice):
    caller = phone()
    choose(caller, "fr", "2")
    caller.press("4")
    caller.press("1")
    assert voice.said(caller) == ["info.choose"]
    caller.press("2")
    caller.press("9")
    assert voice.said(caller) == ["menu.choose"]


# * repeats the current question, and is not a miss.


def test_star_repeats_the_current_question_word_for_word_and_is_not_a_miss(question, voice, rt):
    state, caller, asked = question
    repeated = caller.press("*")
    assert voice.said(caller) == list(rt.flows[state].prompts)
    again = spoken(repeated)
    assert again and again == spoken(asked)[-len(again) :]  # the question's own <Say> texts, nothing else
    for _ in range(2):  # three stars in all: as many as the misses that would end the question
        repeated = caller.press("*")
    assert repeated.gather is not None and repeated.dial is None and not caller.ended
    assert current_state(voice, caller) == state and voice.session(caller).misses == 0


def test_star_between_misses_does_not_count_on_the_main_menu(phone, voice):
    caller = phone()
    choose(caller, "fr")
    caller.wait()
    assert voice.said(caller) == ["menu.no_input"]
    caller.press("*")
    caller.press("*")
    turn = caller.wait()
    assert voice.said(caller) == ["menu.choose_help"]  # the second miss, not the third
    assert turn.gather is not None


# 0 speaks to an advisor, from every question.


def test_zero_transfers_to_the_advisor_and_records_the_state_reached(question, voice, app):
    state, caller, _ = question
    turn = press_advisor_key(caller, state)
    assert is_transferred(turn) and turn.dial.number == app.config["ADVISOR_NUMBER"]
    assert voice.said(caller)[-1] == "advisor.connecting"
    session = voice.session(caller)
    assert session.transfer_reason == "caller_request"
    assert session.transfer_state == state
    assert session.transferred_at is not None


# Misses escalate: a short reprompt, a fuller one, then the advisor.


def miss_three_times(caller, voice, misses):
    """Miss the current question three times ("wait" or keys); return what was said and the last turn."""
    said, turn = [], None
    for miss in misses:
        turn = caller.wait() if miss == "wait" else caller.press(miss)
        said.append(voice.said(caller))
    return said, turn


@pytest.mark.parametrize(
    "misses, first_reprompt",
    [
        (["wait", "wait", "wait"], "menu.no_input"),
        (["7", "7", "7"], "menu.invalid"),
        (["wait", "7", "7"], "menu.no_input"),
        (["7", "wait", "9"], "menu.invalid"),
    ],
    ids=["silence", "invalid_key", "silence_then_invalid", "invalid_silence_invalid"],
)
def test_main_menu_misses_escalate_to_the_advisor_on_the_third(phone, voice, app, misses, first_reprompt):
    caller = phone()
    choose(caller, "fr")
    said, turn = miss_three_times(caller, voice, misses)
    assert said[0] == [first_reprompt]
    assert said[1] == ["menu.choose_help"]
    assert said[2] == ["advisor.connecting"]
    assert is_transferred(turn) and turn.dial.number == app.config["ADVISOR_NUMBER"]
    session = voice.session(caller)
    assert session.transfer_reason == "too_many_misses" and session.transfer_state == "menu.choose"


def test_reprompts_repeat_the_menu_in_the_callers_language(phone, voice):
    caller = phone()
    choose(caller, "ar")
    turn = caller.wait()
    assert voice.heard(turn, "menu.no_input", "ar")
    turn = caller.press("7")
    assert voice.heard(turn, "menu.choose_help", "ar")


def test_silence_on_the_language_question_escalates_to_the_advisor(phone, voice):
    caller = phone()
    caller.dial()
    said, turn = miss_three_times(caller, voice, ["wait", "wait", "wait"])
    assert said[:2] == [["language.no_input"], ["language.choose_help"]]
    assert is_transferred(turn)
    assert voice.session(caller).transfer_reason == "no_language_chosen"


# No call loops forever, nor ends in silence.


@pytest.mark.parametrize("action", ["wait", "7"], ids=["keeps_silent", "keeps_pressing_7"])
def test_a_caller_who_keeps_missing_always_reaches_the_advisor_or_an_end(question, voice, action):
    state, caller, turn = question
    for _ in range(MAX_TURNS):
        if turn.dial is not None or caller.ended:
            break
        turn = caller.wait() if action == "wait" else caller.press(action)
        verbs(turn)
    assert turn.dial is not None or caller.ended, f"{state}: still asking after {MAX_TURNS} turns"
    assert turn.heard, f"{state}: the call ended or was transferred in silence"
    if caller.ended:
        assert turn.ended_by == "hangup" and isinstance(verbs(turn)[-1], Hangup)


def test_silence_after_the_credentials_ends_the_call_with_goodbye(phone, people, voice):
    caller, _ = at_credentials(phone, people)
    turn = caller.wait()
    assert voice.said(caller) == ["common.goodbye"] and voice.heard(turn, "common.goodbye")
    assert isinstance(verbs(turn)[-1], Hangup) and turn.ended_by == "hangup"


def test_silence_after_the_information_dates_ends_the_call_politely(phone, people, voice):
    caller, _ = at_info_dates(phone, people)
    turn = caller.wait()
    assert voice.said(caller) == ["common.goodbye"] and voice.heard(turn, "common.goodbye")
    assert isinstance(verbs(turn)[-1], Hangup) and turn.ended_by == "hangup"
    assert voice.session(caller).status == "ended"


@pytest.fixture
def short_call_app(settings):
    """An app that transfers a call after a few steps (IVR_MAX_STEPS_PER_CALL)."""
    app = create_app({**settings, "IVR_MAX_STEPS_PER_CALL": SHORT_CALL_STEPS})
    yield app
    runtime_of(app).store.dispose()


def keep_pressing_star(caller):
    """Press * (never a miss) until the call stops asking; return the last turn."""
    caller.dial()
    turn = caller.press("2")
    for _ in range(MAX_TURNS):
        if turn.gather is None:
            break
        turn = caller.press("*")
    return turn


def test_a_caller_who_keeps_pressing_star_is_transferred_once_the_call_is_too_long(short_call_app, voice):
    caller = SimulatedCaller.in_process(short_call_app)
    turn = keep_pressing_star(caller)
    assert is_transferred(turn)
    assert voice.said(caller) == ["advisor.connecting"]
    assert voice.session(caller).transfer_reason == "call_too_long"


@pytest.mark.parametrize("advisor, goodbye", [("answers", "common.goodbye"), ("busy", "advisor.unavailable")])
def test_a_too_long_call_ends_after_its_transfer_instead_of_dialling_again(short_call_app, voice, advisor, goodbye):
    caller = SimulatedCaller.in_process(short_call_app)
    keep_pressing_star(caller)
    turn = caller.advisor_answers() if advisor == "answers" else caller.advisor_does_not_answer("busy")
    assert turn.dial is None, "the caller is dialled through to the advisor again"
    assert voice.said(caller) == [goodbye] and turn.ended_by == "hangup"
