"""The flow engine on small flows written here: what it says, what it waits for, where it goes, without a call."""

from datetime import datetime
from textwrap import dedent

import pytest

from ivr.callflow import engine
from ivr.callflow.engine import Listen, StepContext
from ivr.flows import registry
from ivr.flows.loader import FlowBook
from ivr.flows.registry import Action, Params, Validator
from ivr.runtime import Runtime
from ivr.sensitive import Sensitive
from ivr.store.call_rows import CallRow

NOW = datetime(2026, 11, 25, 10, 0)
BOOK = """\
start: desk.hello
advisor: {transfer: help.enter, queue: help.ring}
transfer_reasons:
  caller_request: {en: asked, fr: demandé, ar: طلب}
  gave_up: {en: gave up, fr: abandon, ar: تخلى}
  call_too_long: {en: too long, fr: trop long, ar: طويل}
"""
# A help desk where advisors are called "help": the engine knows it from the book alone.
HELP = """\
flow: help
title: {en: help, fr: aide, ar: مساعدة}
states:
  enter:
    say: help.wait
    next: ring
  ring:
    dial: advisor
    answered: thanks
    unanswered: sorry
  thanks:
    end: help.thanks
  sorry:
    end: help.sorry
"""
DESK = """\
flow: desk
title: {en: desk, fr: guichet, ar: شباك}
states:
  hello:
    say: [desk.hello, desk.hours]
    next: count
  count:
    action: count_calls
    outcomes: {first: pick, again: pick_again}
  pick_again:
    say: desk.again
    next: pick
  pick:
    ask: desk.pick
    keys:
      "1": {goto: code, set: {colour: blue}}
      "2": {goto: bye, set: {language: fr}}
    no_input: [desk.silent, desk.pick_help]
    invalid: [desk.wrong, desk.pick_help]
    max_attempts: {transfer: gave_up}
  code:
    ask: desk.code
    params: colour
    expect: four_digits
    save: code
    input: {num_digits: 4, timeout: 9}
    next: bye
    no_input: bye
    invalid: [desk.code_wrong, desk.code_help]
    max_attempts: {transfer: gave_up}
  bye:
    end: desk.bye
"""


@pytest.fixture
def calls_counted():
    return []


@pytest.fixture(autouse=True)
def names(monkeypatch, calls_counted):
    """Register the action, validator and params the small flows name (and remove them after the test)."""

    def count_calls(ctx):
        calls_counted.append(ctx.call.call_sid)
        return "first" if ctx.slot("calls", 0) == 0 else "again"

    def four_digits(ctx, typed):
        return typed.reveal() if len(typed.reveal()) == 4 and typed.reveal().isdigit() else None

    monkeypatch.setitem(
        registry.ACTIONS, "count_calls", Action("count_calls", frozenset({"first", "again"}), count_calls)
    )
    monkeypatch.setitem(registry.VALIDATORS, "four_digits", Validator("four_digits", four_digits, sensitive=True))
    monkeypatch.setitem(
        registry.PARAMS, "colour", Params("colour", frozenset({"colour"}), lambda ctx: {"colour": ctx.slot("colour")})
    )


@pytest.fixture
def book(tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    for name, text in {"_book": BOOK, "help": HELP, "desk": DESK}.items():
        (folder / f"{name}.yaml").write_text(dedent(text), encoding="utf-8")
    return FlowBook.load(folder)


class Caller:
    """One call through the engine: each press is a request of its own, with a fresh step context."""

    def __init__(self, book):
        self.rt = Runtime(
            settings={}, store=None, secret=b"k" * 32, catalog=None, flows=book, categories=None, clock=lambda: NOW
        )
        self.call = CallRow.starting("CA1", "+212600000001", "desk", "hello", {}, NOW)
        self.ctx = self.step()

    def step(self):
        self.call.seq += 1
        self.ctx = StepContext(rt=self.rt, conn=None, call=self.call, seq=self.call.seq)
        return self.ctx

    def begin(self):
        return engine.begin(self.ctx)

    def press(self, digits, dial_status=None):
        return engine.answer(self.step(), digits, dial_status)

    def transfer(self, reason):
        return engine.transfer(self.step(), reason)

    @property
    def at(self):
        return f"{self.call.flow}.{self.call.state}"

    def slot(self, name):
        return self.call.slots.get(name)


@pytest.fixture
def caller(book):
    return Caller(book)


def said(reply):
    return [prompt.key for prompt in reply.prompts]


def test_a_call_begins_at_the_books_start_and_passes_through_to_the_first_question(caller, calls_counted):
    reply = caller.begin()
    assert said(reply) == ["desk.hello", "desk.hours", "desk.pick"]
    assert reply.listen == Listen(num_digits=1, finish_on_key="", timeout=6) and caller.at == "desk.pick"
    assert calls_counted == ["CA1"] and caller.ctx.trail["actions"] == {"count_calls": "first"}
    assert caller.ctx.trail["path"] == ["desk.hello", "desk.count", "desk.pick"]


def test_an_actions_outcome_chooses_the_next_state(caller):
    caller.call.slots = {"calls": 1}
    assert said(caller.begin()) == ["desk.hello", "desk.hours", "desk.again", "desk.pick"]


def test_a_menu_key_goes_to_its_target_and_sets_its_slots(caller):
    caller.begin()
    reply = caller.press("1")
    assert caller.at == "desk.code" and caller.slot("colour") == "blue"
    assert said(reply) == ["desk.code"] and reply.prompts[0].params == {"colour": "blue"}


def test_setting_the_language_chooses_the_calls_language_not_a_slot(caller):
    caller.begin()
    reply = caller.press("2")
    assert caller.call.language == "fr" and caller.slot("language") is None
    assert said(reply) == ["desk.bye"] and reply.then == "hangup"


def test_a_wrong_key_is_answered_short_then_in_full_then_the_third_leaves(caller):
    caller.begin()
    assert (said(caller.press("7")), said(caller.press("8"))) == (["desk.wrong"], ["desk.pick_help"])
    third = caller.press("9")
    assert caller.at == "help.ring" and third.then == "dial" and said(third) == ["help.wait"]
    assert (caller.call.transfer_reason, caller.call.transfer_state) == ("gave_up", "desk.pick")


def test_silence_and_wrong_keys_count_together(caller):
    caller.begin()
    assert said(caller.press(None)) == ["desk.silent"]
    assert said(caller.press("7")) == ["desk.pick_help"]
    assert caller.press(None).then == "dial"


def test_star_repeats_the_question_without_counting_a_miss(caller):
    caller.begin()
    caller.press("7")
    assert said(caller.press("*")) == ["desk.pick"] and caller.call.misses == 1


def test_zero_sends_the_call_to_the_books_advisor_entry_for_the_callers_request(caller):
    caller.begin()
    reply = caller.press("0")
    assert said(reply) == ["help.wait"] and reply.then == "dial" and caller.at == "help.ring"
    assert (caller.call.transfer_reason, caller.call.transfer_state, caller.call.transferred_at) == (
        "caller_request",
        "desk.pick",
        NOW,
    )


def test_a_transfer_leaves_from_wherever_the_call_stands(caller):
    caller.begin()
    reply = caller.transfer("call_too_long")
    assert reply.then == "dial" and caller.call.transfer_reason == caller.ctx.trail["transfer"] == "call_too_long"


def test_an_entry_keeps_what_its_validator_returns_and_goes_on(caller):
    caller.begin()
    assert caller.press("1").listen == Listen(num_digits=4, finish_on_key="#", timeout=9)
    reply = caller.press("4321")
    assert caller.slot("code") == "4321" and caller.at == "desk.bye" and said(reply) == ["desk.bye"]


def test_what_a_sensitive_validator_refuses_is_invalid_and_not_kept_in_the_trail(caller):
    caller.begin()
    caller.press("1")
    reply = caller.press("98765")
    assert said(reply) == ["desk.code_wrong"] and caller.slot("code") is None
    assert "98765" not in repr(caller.ctx.trail) and caller.ctx.trail["miss"] == "invalid"
    assert caller.ctx.trail["input"] == repr(Sensitive("98765", "input"))


def test_a_miss_declared_as_a_target_leaves_at_once(caller):
    caller.begin()
    caller.press("1")
    assert said(caller.press("")) == ["desk.bye"] and caller.at == "desk.bye"


@pytest.mark.parametrize(
    "status, then",
    [("completed", "help.thanks"), ("answered", "help.thanks"), ("no-answer", "help.sorry"), (None, "help.sorry")],
)
def test_a_dial_goes_on_by_how_it_ended(caller, status, then):
    caller.begin()
    caller.press("0")
    reply = caller.press(None, status)
    assert caller.at == then and said(reply) == [then] and caller.ctx.trail["dial_status"] == (status or "unknown")


def test_a_state_that_does_not_wait_cannot_be_answered(caller):
    caller.call.flow, caller.call.state = "desk", "bye"
    with pytest.raises(engine.EngineError, match="does not wait for input"):
        caller.press("1")
