"""The flows' transitions, each named where its state declares it, and the `untestable` marks that name them."""

import pytest

from ivr.flows import schema
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.flows.transitions import book_transitions, transitions_of
from tests.flow_files import edit, line_of

SHIPPED = FlowBook.load(FLOWS_DIR)


def ids(state):
    return [transition.id for transition in transitions_of(SHIPPED[state])]


def test_a_menus_transitions_are_its_keys_then_its_misses():
    assert ids("language.choose") == [
        "language.choose:keys.1",
        "language.choose:keys.2",
        "language.choose:more_languages",
        "language.choose:no_input",
        "language.choose:invalid",
        "language.choose:max_attempts",
    ]


def test_an_actions_outcomes_a_dials_ends_a_says_next_and_an_entrys_valid_answer_are_transitions():
    assert ids("identity.verify") == [f"identity.verify:outcomes.{o}" for o in SHIPPED["identity.verify"].outcomes]
    assert ids("advisor.connect") == ["advisor.connect:answered", "advisor.connect:unanswered"]
    assert ids("identity.no_match") == ["identity.no_match:next"]
    assert ids("identity.ask_cin")[0] == "identity.ask_cin:next"
    assert ids("credentials.goodbye") == []


def test_a_miss_that_asks_again_leads_nowhere_and_one_that_leaves_leads_on():
    by_name = {t.name: t for t in transitions_of(SHIPPED["credentials.sent"])}
    assert by_name["invalid"].target is None and by_name["invalid"].label == "invalid (reprompt)"
    assert by_name["invalid"].to == "asked again"
    assert by_name["no_input"].target.state == "credentials.goodbye" and by_name["no_input"].label == "no input"
    transfer = transitions_of(SHIPPED["menu.choose"])[-1]
    assert (transfer.name, transfer.to) == ("max_attempts", "advisors: too_many_misses")


def test_every_transition_of_the_book_has_its_own_id_and_its_line_in_the_flows():
    every = book_transitions(SHIPPED)
    assert len({t.id for t in every}) == len(every) > 80
    key = next(t for t in every if t.id == "menu.choose:keys.2")
    line = line_of(FLOWS_DIR, "menu.yaml", '"2": info.choose')
    assert SHIPPED.where(key.state, *key.loc) == f"flows/menu.yaml:{line}"


def test_the_names_a_state_may_mark_untestable_are_its_transitions():
    found = schema.read_declarations(FLOWS_DIR)
    for flow, declared in found.flows.items():
        for name, model in declared.states.items():
            marked = sorted(schema.transition_names(model))
            assert marked == sorted(t.name for t in transitions_of(SHIPPED[f"{flow}.{name}"])), f"{flow}.{name}"


def test_the_language_menus_recorded_language_key_is_marked_untestable_with_a_reason():
    [more] = [t for t in transitions_of(SHIPPED["language.choose"]) if t.name == "more_languages"]
    assert "no recorded language ships" in more.untestable
    assert all(t.untestable is None for t in transitions_of(SHIPPED["menu.choose"]))


def refused(folder):
    with pytest.raises(FlowError) as error:
        FlowBook.load(folder)
    return error.value.problems


def test_marking_a_transition_the_state_does_not_have_is_refused_at_its_line(flows):
    edit(flows, "language.yaml", "      more_languages: ", "      more_language: ")
    assert refused(flows) == [
        f"{flows / 'language.yaml'}:{line_of(flows, 'language.yaml', 'more_language: ')}: language.choose:"
        " untestable: 'more_language' is not a transition of this state; did you mean 'more_languages'?"
    ]


def test_marking_a_transition_of_a_state_that_has_none_lists_that_it_has_none(flows):
    edit(flows, "info.yaml", "    end: common.goodbye\n", "    end: common.goodbye\n    untestable: {next: why}\n")
    assert refused(flows) == [
        f"{flows / 'info.yaml'}:{line_of(flows, 'info.yaml', 'untestable: {next')}: info.goodbye:"
        " untestable: 'next' is not a transition of this state (its transitions: none)"
    ]


@pytest.mark.parametrize("reason", ['""', '"   "'])
def test_an_untestable_transition_needs_a_reason(flows, reason):
    edit(flows, "menu.yaml", "    max_attempts:", f"    untestable: {{keys.3: {reason}}}\n    max_attempts:")
    assert refused(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'untestable:')}: menu.choose: untestable.keys.3:"
        " needs a reason: why no scenario can drive this transition, and what tests it instead"
    ]


def test_a_marked_transition_carries_its_reason_into_the_loaded_state(flows):
    edit(flows, "menu.yaml", "    max_attempts:", '    untestable: {keys.3: "an agent alone can"}\n    max_attempts:')
    book = FlowBook.load(flows)
    assert book["menu.choose"].untestable == {"keys.3": "an agent alone can"}
    [marked] = [t for t in transitions_of(book["menu.choose"]) if t.untestable]
    assert (marked.id, marked.untestable) == ("menu.choose:keys.3", "an agent alone can")
