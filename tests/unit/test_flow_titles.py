"""What agents read of where a call stood: each flow's title, and a state's own where the flow's is too vague."""

import pytest

import ivr.callflow.actions  # noqa: F401  (registers the names the flows use)
from ivr.flows import references
from ivr.flows.loader import FlowBook
from tests.flow_files import edit, line_of


@pytest.fixture(scope="module")
def book():
    return FlowBook.load()


def problems(folder):
    return references.problems(folder, references.Names.registered())


def test_every_shipped_flow_has_a_title_in_the_three_agent_languages(book):
    assert sorted(book.flow_titles) == sorted({name.split(".", 1)[0] for name in book.states})
    for title in book.flow_titles.values():
        assert all(getattr(title, language).strip() for language in ("en", "fr", "ar"))


def test_the_birth_date_question_and_the_cin_question_are_told_apart(book):
    cin, birth = book.stood_words("identity.ask_cin"), book.stood_words("identity.ask_birth_date")
    assert cin["en"] == "identity check: the CIN question"
    assert birth["en"] == "identity check: the birth-date question"
    assert birth["fr"] == "vérification d'identité : question de la date de naissance"
    assert cin["ar"] != birth["ar"]


def test_a_state_without_a_title_of_its_own_stands_in_its_flows_words(book):
    assert book.stood_words("menu.choose") == {
        "en": "the main menu",
        "fr": "le menu principal",
        "ar": "القائمة الرئيسية",
    }
    assert book.stood_words("info.tell") == book.stood_words("info.choose")


def test_no_internal_name_is_shown_for_where_a_call_stood(book):
    for name in book.states:
        words = book.stood_words(name)
        assert words is not None and name not in words.values() and "." not in words["en"].rstrip(".")


def test_an_unknown_state_or_none_stands_nowhere_in_words(book):
    assert book.stood_words(None) is None
    assert book.stood_words("gone.somewhere") is None


def test_a_transfer_reason_has_its_words_in_the_three_languages(book):
    assert book.reason_words("caller_request") == {
        "en": "the caller asked for an advisor",
        "fr": "l'appelant a demandé un conseiller",
        "ar": "طلب المتصل التحدث إلى أحد المستشارين",
    }
    assert book.reason_words("no_such_reason") is None and book.reason_words(None) is None


def test_a_flow_without_a_title_is_refused_at_its_file(flows):
    edit(flows, "menu.yaml", "title:\n  en: the main menu\n  fr: le menu principal\n  ar: القائمة الرئيسية\n", "")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'flow: menu')}: 'title' is required:"
        " what the flow is, in the agents' words (en, fr, ar)"
    ]


def test_a_misspelt_language_of_a_title_is_refused_at_its_line(flows):
    edit(flows, "menu.yaml", "  fr: le menu principal\n", "  fre: le menu principal\n")
    line = line_of(flows, "menu.yaml", "fre: le menu principal")
    assert problems(flows) == [
        f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'title:')}: 'fr' is required in title",
        f"{flows / 'menu.yaml'}:{line}: unknown key 'fre' in title; did you mean 'fr'?",
    ]


def test_a_state_title_missing_a_language_is_refused_with_the_state(flows):
    edit(flows, "identity.yaml", '      ar: "التحقق من الهوية: سؤال تاريخ الازدياد"\n', "")
    line = line_of(flows, "identity.yaml", "identity check: the birth-date question") - 1
    assert problems(flows) == [f"{flows / 'identity.yaml'}:{line}: identity.ask_birth_date: 'ar' is required in title"]


def test_a_misspelt_title_key_on_a_state_is_refused_with_did_you_mean(flows):
    edit(flows, "identity.yaml", "  ask_cin:\n    title:\n", "  ask_cin:\n    titel:\n")
    [problem] = problems(flows)
    assert problem.startswith(f"{flows / 'identity.yaml'}:{line_of(flows, 'identity.yaml', 'titel:')}:")
    assert "identity.ask_cin: unknown key 'titel'" in problem and "did you mean 'title'?" in problem


def test_a_title_that_is_not_a_mapping_of_words_is_refused(flows):
    edit(
        flows,
        "menu.yaml",
        "title:\n  en: the main menu\n  fr: le menu principal\n  ar: القائمة الرئيسية\n",
        "title: menu\n",
    )
    [problem] = problems(flows)
    assert problem.startswith(f"{flows / 'menu.yaml'}:{line_of(flows, 'menu.yaml', 'title: menu')}: title:")
