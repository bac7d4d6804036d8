"""The strict reading of flows/: a typo, a wrong type or a name that leads nowhere is refused as `file:line: why`."""

from dataclasses import replace

import pytest

import ivr.callflow.actions  # noqa: F401  (registers the names the flows use)
from ivr.flows import references
from ivr.settings import PROJECT_DIR
from ivr.speech.catalog import Catalog
from tests.flow_files import edit, line_of

SHIPPED = PROJECT_DIR / "flows"


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def problems(folder, catalog=None, names=None):
    return references.problems(folder, names or references.Names.registered(), catalog)


def test_the_shipped_flows_have_no_problem(catalog):
    assert problems(SHIPPED, catalog) == []


def test_a_misspelt_input_key_is_refused_with_its_file_and_line(flows):
    edit(flows, "completion.yaml", "num_digits: 10", "num_digit: 10")
    assert problems(flows) == [
        f"{flows / 'completion.yaml'}:{line_of(flows, 'completion.yaml', 'num_digit: 10')}: completion.ask_mobile:"
        " unknown key 'num_digit' in input; did you mean 'num_digits'?"
    ]


def test_a_slot_no_action_reads_is_refused(flows):
    edit(flows, "menu.yaml", "set: {intent: complete}", "set: {intnet: complete}")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'intnet')}: menu.choose:"
        " sets slot 'intnet' that no action or params reads; did you mean 'intent'?"
    ]


def test_a_slot_set_to_a_value_its_reader_does_not_know_is_refused(flows):
    edit(flows, "menu.yaml", "set: {intent: resend}", "set: {intent: resent}")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'resent')}: menu.choose:"
        " sets slot 'intent' to 'resent', not one of complete, resend"
    ]


def test_dialling_anyone_but_the_advisor_is_refused(flows):
    edit(flows, "advisor.yaml", "dial: advisor", "dial: nobody")
    assert problems(flows) == [
        f"{flows / 'advisor.yaml'}:{line_of(flows, 'advisor.yaml', 'dial: nobody')}: advisor.connect: dial:"
        " only the advisor can be dialled (dial: advisor, at ADVISOR_NUMBER), not 'nobody'"
    ]


def test_renaming_the_advisors_queue_in_its_flow_alone_is_refused_in_the_book(flows):
    edit(flows, "advisor.yaml", "  connect:", "  connecting:")
    edit(flows, "advisor.yaml", "open: connect,", "open: connecting,")
    assert problems(flows) == [
        f"{flows / '_book.yaml'}:{line_of(flows, '_book.yaml', 'queue: advisor.connect')}: advisor.queue"
        " 'advisor.connect' is not a declared state (flow.state); did you mean 'advisor.connecting'?"
    ]


def test_renaming_the_advisors_queue_in_the_book_too_is_accepted(flows, catalog):
    edit(flows, "advisor.yaml", "  connect:", "  connecting:")
    edit(flows, "advisor.yaml", "open: connect,", "open: connecting,")
    edit(flows, "_book.yaml", "queue: advisor.connect", "queue: advisor.connecting")
    assert problems(flows, catalog) == []


def test_a_queue_that_does_not_dial_the_advisor_is_refused(flows):
    edit(flows, "_book.yaml", "queue: advisor.connect", "queue: advisor.closed")
    assert problems(flows) == [
        f"{flows / '_book.yaml'}:{line_of(flows, '_book.yaml', 'queue:')}: advisor.queue 'advisor.closed' is not"
        " a dial state: calls wait for the advisors where the advisor is dialled"
    ]


def test_a_value_of_the_wrong_type_is_refused(flows):
    edit(flows, "identity.yaml", 'input: {finish_on_key: "#", timeout: 8}', 'input: {finish_on_key: "#", timeout: "8"}')
    assert problems(flows) == [
        f"{flows / 'identity.yaml'}:{line_of(flows, 'identity.yaml', 'timeout: ' + chr(34))}: identity.ask_cin:"
        " input.timeout: input should be a valid integer, not '8'"
    ]


def test_every_problem_is_told_at_once_not_only_the_first(flows):
    edit(flows, "completion.yaml", "num_digits: 10", "num_digit: 10")
    edit(flows, "advisor.yaml", "dial: advisor", "dial: nobody")
    edit(flows, "identity.yaml", "    next: verify\n", "    next: verify\n    nxt: verify\n")
    found = problems(flows)
    assert [problem.split(": ", 1)[0] for problem in found] == [
        f"{flows / 'advisor.yaml'}:{line_of(flows, 'advisor.yaml', 'dial: nobody')}",
        f"{flows / 'completion.yaml'}:{line_of(flows, 'completion.yaml', 'num_digit:')}",
        f"{flows / 'identity.yaml'}:{line_of(flows, 'identity.yaml', 'nxt: verify')}",
    ]
    assert "unknown key 'nxt' for an entry (ask with expect); did you mean 'next'?" in found[2]


def test_a_state_with_two_problems_tells_both(flows):
    edit(flows, "menu.yaml", "    max_attempts: {transfer: too_many_misses}\n", "")
    edit(flows, "menu.yaml", "invalid: [menu.invalid, menu.choose_help]", "invalid: [menu.invalid]")
    path, state_line = flows / "menu.yaml", line_of(flows, "menu.yaml", "  choose:")
    assert problems(flows) == [
        f"{path}:{state_line}: menu.choose: has no max_attempts exit",
        f"{path}:{line_of(flows, 'menu.yaml', 'invalid:')}: menu.choose: invalid:"
        " needs two reprompts (short, then full) or a target, not 1",
    ]


def test_a_transition_to_no_state_is_refused_where_it_is_written(flows):
    edit(flows, "category.yaml", '"1": completion.check_mobile', '"1": completion.check_mobil')
    assert problems(flows) == [
        f"{flows / 'category.yaml'}:{line_of(flows, 'category.yaml', 'check_mobil')}: category.confirm:"
        " leads to unknown state completion.check_mobil; did you mean 'completion.check_mobile'?"
    ]


def test_a_transition_to_a_state_refused_for_its_shape_is_not_told_twice(flows):
    edit(flows, "menu.yaml", "ask: menu.choose", "ask: menu.choose\n    expect: nothing_known")
    found = problems(flows)
    assert found and all("menu.yaml" in problem for problem in found), found


def test_an_unknown_transfer_reason_is_refused(flows):
    edit(flows, "category.yaml", "{transfer: category_disputed}", "{transfer: category_dispute}")
    assert problems(flows) == [
        f"{flows / 'category.yaml'}:{line_of(flows, 'category.yaml', 'category_dispute}')}: category.disputed:"
        " unknown transfer reason 'category_dispute'; did you mean 'category_disputed'?"
        " (the reasons are declared in _book.yaml)"
    ]


def test_a_reason_the_code_gives_must_be_declared(flows):
    edit(flows, "_book.yaml", "  call_too_long:\n", "  call_too_lung:\n")
    assert problems(flows) == [
        f"{flows / '_book.yaml'}:{line_of(flows, '_book.yaml', 'transfer_reasons:')}: transfer reason"
        " 'call_too_long' is given by the code but not declared"
    ]


def test_a_transfer_reason_without_its_text_in_one_language_is_refused(flows):
    edit(flows, "_book.yaml", "    ar: عطل تقني\n", "")
    assert problems(flows) == [
        f"{flows / '_book.yaml'}:{line_of(flows, '_book.yaml', 'technical_fault:')}: 'ar' is required"
        " in transfer_reasons.technical_fault"
    ]


def test_an_unquoted_menu_key_is_refused_with_how_to_write_it(flows):
    edit(flows, "info.yaml", '"1": choose', "1: choose")
    assert problems(flows) == [
        f"{flows / 'info.yaml'}:{line_of(flows, 'info.yaml', '1: choose')}: info.tell:"
        ' key 1 must be quoted ("1"): YAML reads it as a number'
    ]


def test_a_reserved_key_cannot_be_a_menu_choice(flows):
    edit(flows, "info.yaml", '"9": menu.choose\n    no_input: [', '"0": menu.choose\n    no_input: [')
    line = line_of(flows, "info.yaml", '"0": menu.choose')
    assert problems(flows) == [
        f"{flows / 'info.yaml'}:{line}: info.choose: key '0' is not a free keypad digit (* and 0 are global)"
    ]


def test_a_key_written_twice_is_refused(flows):
    edit(flows, "menu.yaml", '      "2": info.choose\n', '      "2": info.choose\n      "2": menu.choose\n')
    second, first = line_of(flows, "menu.yaml", '"2": menu.choose'), line_of(flows, "menu.yaml", '"2": info.choose')
    assert problems(flows) == [f"{flows / 'menu.yaml'}:{second}: key '2' written twice (first on line {first})"]


def test_a_state_of_no_kind_or_of_two_is_refused(flows):
    edit(flows, "language.yaml", "    say: language.welcome\n", "    sya: language.welcome\n")
    edit(flows, "menu.yaml", "    ask: menu.choose\n", "    ask: menu.choose\n    end: common.goodbye\n")
    assert problems(flows) == [
        f"{flows / 'language.yaml'}:{line_of(flows, 'language.yaml', '  welcome:')}: language.welcome:"
        " declare exactly one of ask, say, action, dial, end (found none)",
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', '  choose:')}: menu.choose:"
        " declare exactly one of ask, say, action, dial, end (found ask, end)",
    ]


def test_a_key_a_kind_of_state_does_not_take_is_refused(flows):
    edit(
        flows,
        "completion.yaml",
        "    say: completion.completed\n",
        "    say: completion.completed\n    max_attempts: goodbye\n",
    )
    assert problems(flows) == [
        f"{flows / 'completion.yaml'}:{line_of(flows, 'completion.yaml', 'max_attempts: goodbye')}:"
        " completion.completed: unknown key 'max_attempts' for a say state"
        " (known: next, params, requires, say, title, untestable)"
    ]


def test_a_flow_named_otherwise_than_its_file_is_refused(flows):
    edit(flows, "menu.yaml", "flow: menu", "flow: main_menu")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'flow: main_menu')}: declares flow 'main_menu'"
        " in menu.yaml: a flow's file is named after it (main_menu.yaml)"
    ]


def test_an_unknown_flow_level_key_is_refused(flows):
    edit(flows, "category.yaml", "requires: [person]", "require: [person]")
    assert problems(flows) == [
        f"{flows / 'category.yaml'}:{line_of(flows, 'category.yaml', 'require:')}: unknown key 'require';"
        " did you mean 'requires'?"
    ]


def test_an_unknown_requirement_is_refused(flows):
    edit(flows, "category.yaml", "requires: [person]", "requires: [persons]")
    assert problems(flows) == [
        f"{flows / 'category.yaml'}:{line_of(flows, 'category.yaml', 'requires:')}: requires[0]:"
        " input should be 'person' or 'registration', not 'persons'"
    ]


def test_an_agent_target_that_is_no_state_of_its_flow_is_refused(flows):
    edit(flows, "completion.yaml", "  - state: already_complete", "  - state: already_completed")
    assert problems(flows) == [
        f"{flows / 'completion.yaml'}:{line_of(flows, 'completion.yaml', 'already_completed')}: agent target"
        " 'already_completed' is not a state of completion; did you mean 'already_complete'?"
    ]


def test_an_agent_target_needs_its_text_in_every_agent_language(flows):
    edit(flows, "menu.yaml", "    fr: menu principal\n", "")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', '- state: choose')}: 'fr' is required in agent_targets[0]"
    ]


def test_agents_cannot_send_a_call_to_the_advisors_own_flow(flows):
    edit(
        flows,
        "advisor.yaml",
        "flow: advisor\n",
        "flow: advisor\nagent_targets:\n  - {state: transfer, en: advisors, fr: conseillers, ar: مستشارون}\n",
    )
    assert problems(flows) == [
        f"{flows / 'advisor.yaml'}:{line_of(flows, 'advisor.yaml', 'state: transfer')}: agent target"
        " advisor.transfer: agents cannot send a call to the advisors' own flow"
    ]


def test_a_missing_book_is_refused(flows):
    (flows / "_book.yaml").unlink()
    assert problems(flows)[0] == f"{flows / '_book.yaml'}:1: missing: it declares start, advisor and transfer_reasons"


def test_a_file_that_is_not_yaml_is_refused_at_its_line(flows):
    edit(flows, "info.yaml", '    keys:\n      "1": choose', '    keys:\n      "1": [choose')
    found = problems(flows)
    assert len(found) == 1 and found[0].startswith(f"{flows / 'info.yaml'}:") and "not YAML" in found[0]


def test_an_empty_flow_file_is_refused_and_what_leads_into_it_is_not_told_twice(flows):
    (flows / "info.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert problems(flows) == [f"{flows / 'info.yaml'}:1: empty: nothing is declared"]


def test_a_file_that_is_not_a_mapping_is_refused(flows):
    (flows / "info.yaml").write_text("- choose\n", encoding="utf-8")
    assert problems(flows) == [
        f"{flows / 'info.yaml'}:1: input should be a valid dictionary or instance of FlowFile, not ['choose']"
    ]


def test_a_prompt_missing_from_the_catalog_is_refused_where_it_is_named(flows, catalog):
    edit(flows, "menu.yaml", "ask: menu.choose", "ask: menu.chose")
    assert problems(flows, catalog) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'ask: menu.chose')}: menu.choose:"
        " prompt 'menu.chose' is not in the catalog"
    ]


def test_a_prompt_missing_in_one_language_is_refused(flows, catalog):
    texts = {language: dict(keys) for language, keys in catalog.texts.items()}
    del texts["ar"]["menu.choose"]
    half = Catalog(texts, catalog.voices)
    assert problems(flows, half) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'ask: menu.choose')}: menu.choose:"
        " prompt 'menu.choose' is missing in ar"
    ]


def test_an_unknown_action_validator_or_params_is_refused(flows):
    edit(flows, "identity.yaml", "action: verify_identity", "action: verify_identiti")
    edit(flows, "identity.yaml", "expect: birth_date", "expect: birthdate")
    edit(flows, "category.yaml", "params: declared_category", "params: declared_categories")
    assert [problem.split(": ", 2)[2] for problem in problems(flows)] == [
        "unknown params provider 'declared_categories'; did you mean 'declared_category'?",
        "unknown validator 'birthdate'; did you mean 'birth_date'?",
        "unknown action 'verify_identiti'; did you mean 'verify_identity'?",
    ]


def test_an_outcome_not_handled_or_not_given_is_refused(flows):
    edit(flows, "identity.yaml", "      locked: locked_out\n", "      lockedout: locked_out\n")
    path = flows / "identity.yaml"
    assert problems(flows) == [
        f"{path}:{line_of(flows, 'identity.yaml', 'outcomes:', after='verify_identity')}: identity.verify:"
        " does not handle outcome 'locked' of verify_identity",
        f"{path}:{line_of(flows, 'identity.yaml', 'lockedout:')}: identity.verify:"
        " handles unknown outcome 'lockedout' of verify_identity; did you mean 'locked'?",
    ]


def test_without_names_only_the_declarations_themselves_are_checked(flows):
    edit(flows, "identity.yaml", "action: verify_identity", "action: verify_identiti")
    assert references.problems(flows) == []


def test_slots_are_not_checked_when_the_code_declares_none(flows):
    edit(flows, "menu.yaml", "set: {intent: complete}", "set: {intnet: complete}")
    assert problems(flows, names=replace(references.Names.registered(), slots=None)) == []


def test_a_problem_names_a_file_within_the_working_directory_relative_to_it(flows, monkeypatch):
    edit(flows, "advisor.yaml", "dial: advisor", "dial: nobody")
    monkeypatch.chdir(flows.parent)
    assert problems(flows)[0].startswith(f"flows/advisor.yaml:{line_of(flows, 'advisor.yaml', 'dial: nobody')}: ")
