"""Every flow loads and passes the checks; a flow with a hole is refused when loaded."""

import shutil

import pytest
import yaml

import ivr.callflow.actions  # noqa: F401
from ivr.callflow import checks
from ivr.flows.loader import FLOWS_DIR, FlowBook, FlowError
from ivr.speech.catalog import PROMPTS_DIR, Catalog, CatalogError


@pytest.fixture
def catalog():
    return Catalog.load()


@pytest.fixture
def flows_copy(tmp_path):
    target = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, target)
    return target


def edit(folder, flow, change):
    path = folder / f"{flow}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["states"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def refusal(folder, catalog) -> str:
    with pytest.raises(FlowError) as refused:
        checks.check(FlowBook.load(folder), catalog)
    return str(refused.value)


def test_every_shipped_flow_loads_and_passes_the_checks(catalog):
    book = FlowBook.load()
    checks.check(book, catalog)
    assert {name.split(".")[0] for name in book.states} == {
        "language",
        "menu",
        "info",
        "identity",
        "category",
        "completion",
        "credentials",
        "advisor",
    }


def test_every_question_has_its_three_exits():
    for state in FlowBook.load().states.values():
        if state.kind == "ask":
            assert set(state.misses) == {"no_input", "invalid"} and state.max_attempts, state.name


def test_an_unreachable_state_is_refused(flows_copy, catalog):
    edit(flows_copy, "menu", lambda states: states.update(orphan={"end": "common.goodbye"}))
    assert "menu.orphan: unreachable" in refusal(flows_copy, catalog)


def test_a_question_without_a_no_input_exit_is_refused(flows_copy, catalog):
    edit(flows_copy, "menu", lambda states: states["choose"].pop("no_input"))
    assert "menu.choose: has no no_input exit" in refusal(flows_copy, catalog)


def test_a_question_without_max_attempts_is_refused(flows_copy, catalog):
    edit(flows_copy, "identity", lambda states: states["ask_cin"].pop("max_attempts"))
    assert "identity.ask_cin: has no max_attempts exit" in refusal(flows_copy, catalog)


def test_a_prompt_key_missing_from_the_catalog_is_refused(flows_copy, catalog):
    edit(flows_copy, "menu", lambda states: states["choose"].update(ask="menu.no_such_prompt"))
    assert "prompt 'menu.no_such_prompt' is not in the catalog" in refusal(flows_copy, catalog)


def test_a_transition_to_an_unknown_state_is_refused(flows_copy, catalog):
    edit(flows_copy, "category", lambda states: states["confirm"]["keys"].update({"1": "completion.nowhere"}))
    assert "leads to unknown state completion.nowhere" in refusal(flows_copy, catalog)


def test_an_unhandled_action_outcome_is_refused(flows_copy, catalog):
    edit(flows_copy, "identity", lambda states: states["verify"]["outcomes"].pop("locked"))
    assert "does not handle outcome 'locked'" in refusal(flows_copy, catalog)


def test_a_loop_that_never_waits_for_the_caller_is_refused(flows_copy, catalog):
    edit(flows_copy, "identity", lambda states: states["no_match"].update(next="verify"))
    assert "loop without input" in refusal(flows_copy, catalog)


def test_the_reserved_keys_cannot_be_a_menu_choice(flows_copy, catalog):
    edit(flows_copy, "menu", lambda states: states["choose"]["keys"].update({"0": "info.choose"}))
    assert "key '0' is not a free keypad digit" in refusal(flows_copy, catalog)


def test_a_prompt_placeholder_nothing_provides_is_refused(flows_copy, catalog):
    edit(flows_copy, "menu", lambda states: states["choose"].update(ask="category.confirm"))
    assert "needs ['category', 'coverage_date', 'due_month'] that nothing provides" in refusal(flows_copy, catalog)


def test_a_prompt_missing_in_one_language_is_refused(tmp_path):
    shutil.copytree(PROMPTS_DIR, tmp_path / "prompts")
    (tmp_path / "prompts" / "fr" / "extra.yaml").write_text("menu.extra: Bonjour\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"menu\.extra"):
        Catalog.load(tmp_path / "prompts")


def test_translations_with_different_placeholders_are_refused(tmp_path):
    shutil.copytree(PROMPTS_DIR, tmp_path / "prompts")
    (tmp_path / "prompts" / "fr" / "extra.yaml").write_text("x.extra: '{number}'\n", encoding="utf-8")
    (tmp_path / "prompts" / "ar" / "extra.yaml").write_text("x.extra: '{numero}'\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="placeholders differ"):
        Catalog.load(tmp_path / "prompts")


def test_a_states_own_requirements_add_to_its_flows(flows_copy):
    edit(flows_copy, "completion", lambda states: states["already_complete"].update(requires=["registration"]))
    book = FlowBook.load(flows_copy)
    assert book["completion.already_complete"].requires == {"person", "registration"}
    assert book["completion.check_mobile"].requires == {"person"} and book["menu.choose"].requires == set()


def test_what_agents_may_do_is_read_from_the_declarations():
    book = FlowBook.load()
    assert sorted(book.agent_targets) == [
        "category.confirm",
        "completion.already_complete",
        "completion.check_mobile",
        "credentials.deliver",
        "identity.check_caller",
        "info.choose",
        "language.welcome",
        "menu.choose",
    ]
    assert book.flow_targets["completion"] == "completion.check_mobile"
    assert (book.start, book.advisor, book.queue) == ("language.welcome", "advisor.transfer", "advisor.connect")
    assert book.reason_text("category_disputed") == "the caller disputes the declared category"
    assert book.reason_text("category_disputed", "fr") == "l'appelant conteste la catégorie déclarée"
