"""What a menu says, its reprompts included, offers only the keys that menu takes (issue 12, point 9)."""

import re

import pytest

import ivr.callflow.actions  # noqa: F401 (registers the actions the flows name)
from ivr.flows.loader import FlowBook
from ivr.speech.catalog import Catalog

GLOBAL_KEYS = {"0"}  # the advisor, from every question
OFFERED = {"fr": re.compile(r"tapez (\d)\b"), "ar": re.compile(r"(?<!\d)(\d)(?!\d)")}
MENUS = sorted(name for name, state in FlowBook.load().states.items() if state.kind == "ask" and not state.expect)


def offered_keys(text: str, language: str) -> set[str]:
    """Return the keys a menu prompt tells the caller to press."""
    return set(OFFERED[language].findall(text))


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize("menu", MENUS)
def test_every_prompt_of_a_menu_offers_only_keys_that_menu_takes(menu, language):
    state, catalog = FlowBook.load()[menu], Catalog.load()
    for key in sorted(state.prompt_keys()):
        offered = offered_keys(catalog.texts[language][key], language)
        assert offered <= set(state.keys) | GLOBAL_KEYS, f"{menu} says {key}, which offers {sorted(offered)}"


def test_the_french_menus_do_offer_keys_so_the_check_above_is_not_empty():
    book, catalog = FlowBook.load(), Catalog.load()
    assert offered_keys(catalog.texts["fr"]["info.dates"], "fr") == {"1", "9"}
    assert all(offered_keys(catalog.texts["fr"][book[menu].prompts[0]], "fr") for menu in MENUS if book[menu].keys)
