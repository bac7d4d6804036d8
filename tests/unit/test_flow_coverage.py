"""Which transitions a call exercised, told from its audit trail as the engine writes it, and marked on the drawings."""

import re

from ivr.flows import diagram
from ivr.flows.loader import FLOWS_DIR, FlowBook
from ivr.simulator.coverage import Coverage, Event

BOOK = FlowBook.load(FLOWS_DIR)
STARTED = Event("step", "language.choose", {"path": ["language.welcome", "language.choose"]})


def step(state, path=(), **detail):
    return Event("step", state, {"path": list(path), **detail})


def exercised(*events):
    coverage = Coverage(BOOK)
    coverage.add_call([STARTED, *events])
    return coverage


def test_a_menu_key_and_the_states_passed_after_it_are_counted():
    coverage = exercised(
        step("menu.choose", ["menu.choose"], input="2"),
        step("identity.ask_cin", ["identity.check_caller", "identity.ask_cin"], input="1"),
    )
    assert coverage.transitions == {
        "language.welcome:next",
        "language.choose:keys.2",
        "menu.choose:keys.1",
        "identity.check_caller:outcomes.clear",
    }
    assert coverage.unmatched == []
    assert {"language.welcome", "identity.ask_cin"} <= coverage.states


def test_the_outcome_is_read_from_the_actions_the_step_ran():
    coverage = exercised(
        step("menu.choose", ["menu.choose"], input="2"),
        step(
            "identity.locked_out",
            ["identity.check_caller", "identity.locked_out"],
            input="1",
            actions={"caller_lockout": "locked"},
        ),
    )
    assert "identity.check_caller:outcomes.locked" in coverage.transitions
    assert "identity.check_caller:outcomes.clear" not in coverage.transitions


def test_a_miss_is_asked_again_until_the_third_which_is_max_attempts():
    coverage = exercised(
        step("language.choose", input="", miss="no_input"),
        step("language.choose", input="7", miss="invalid"),
        step(
            "advisor.connect",
            ["advisor.transfer", "advisor.connect"],
            input="",
            miss="no_input",
            transfer="no_language_chosen",
            actions={"advisor_hours": "open"},
        ),
    )
    assert {"language.choose:no_input", "language.choose:invalid", "language.choose:max_attempts"} <= (
        coverage.transitions
    )
    assert "advisor.transfer:outcomes.open" in coverage.transitions


def test_a_miss_that_leaves_at_once_is_the_miss_not_max_attempts():
    coverage = Coverage(BOOK)
    coverage.add_call(
        [
            Event("agent", "credentials.sent", {}),
            step("credentials.goodbye", ["credentials.goodbye"], input="", miss="no_input"),
        ]
    )
    assert coverage.transitions == {"credentials.sent:no_input"}


def test_star_and_zero_are_every_questions_keys_not_the_flows_transitions():
    coverage = exercised(
        step("language.choose", input="*"),
        step("advisor.connect", ["advisor.transfer", "advisor.connect"], input="0", transfer="caller_request"),
    )
    assert "language.choose:keys.0" not in coverage.transitions and coverage.unmatched == []
    assert coverage.transitions == {"language.welcome:next", "advisor.transfer:outcomes.open"}


def test_a_key_the_menu_does_not_declare_that_moves_on_is_a_recorded_languages_key():
    coverage = exercised(step("menu.choose", ["menu.choose"], input="3"))
    assert "language.choose:more_languages" in coverage.transitions


def test_how_a_dial_ended_is_answered_or_unanswered():
    coverage = Coverage(BOOK)
    coverage.add_call(
        [
            Event("agent", "advisor.connect", {}),
            step("advisor.unavailable", ["advisor.unavailable"], dial_status="no-answer"),
        ]
    )
    assert coverage.transitions == {"advisor.connect:unanswered"}


def test_a_move_the_flows_do_not_declare_is_kept_apart_not_counted():
    coverage = exercised(step("info.choose", ["info.choose"], input="1"))
    assert "language.choose:keys.1" not in coverage.transitions
    assert coverage.unmatched == ["language.choose:keys.1 → info.choose"]


def test_what_was_never_exercised_is_what_is_left_and_the_untestable_are_told_apart():
    coverage = exercised(step("menu.choose", ["menu.choose"], input="2"))
    missing = {t.id for t in coverage.missing()}
    assert "language.choose:keys.1" in missing and "language.choose:keys.2" not in missing
    assert "language.choose:more_languages" not in missing
    assert "language.choose:more_languages" in {t.id for t in coverage.untried()}
    assert "identity.verify" in coverage.unreached() and "menu.choose" not in coverage.unreached()


def edges(dot):
    """Return each arrow of a DOT text as (tail, head) -> the attributes of every arrow between them."""
    found: dict[tuple[str, str], list[str]] = {}
    for tail, head, attributes in re.findall(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$', dot, flags=re.MULTILINE):
        found.setdefault((tail, head), []).append(attributes)
    return found


def test_the_drawing_marks_untried_arrows_red_the_untestable_grey_and_unreached_states():
    untried = diagram.Untried(
        frozenset({"language.choose:keys.1", "language.choose:more_languages", "language.choose:invalid"}),
        frozenset({"language.choose"}),
    )
    dot = diagram.flow_dot(BOOK, "language", untried=untried)
    red, tried, grey = edges(dot)["language.choose", "to:menu.choose"]  # in the order of their first key
    assert 'label="2 (language=fr)"' in tried and "color" not in tried
    assert 'color="#d93025"' in red and 'label="1 (language=ar)\\nuntried"' in red
    assert 'color="#80868b"' in grey and "untestable" in grey
    [asked_again] = edges(dot)["language.choose", "language.choose"]
    assert 'label="invalid: asked again\\nuntried"' in asked_again
    assert "never reached" in dot and "red dashed: never exercised" in dot
    plain = diagram.flow_dot(BOOK, "language")
    assert "untried" not in plain and "never reached" not in plain
    assert ("language.choose", "language.choose") not in edges(plain)
