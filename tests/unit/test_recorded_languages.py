"""Languages the studio alone records: their declaration in the catalog, and the values recorded whole."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from ivr.audio.library import Recorded
from ivr.audio.pieces import prompt_pieces, recording_keys
from ivr.callflow.checks import load_checked
from ivr.flows.diagram import MORE_LANGUAGES_LABEL, declared_arrows
from ivr.flows.loader import FlowBook, FlowError
from ivr.settings import PROJECT_DIR
from ivr.speech.catalog import Catalog, CatalogError
from ivr.speech.values import (
    ClockTime,
    Day,
    DaysAndHours,
    DigitString,
    Localized,
    Month,
    Schedule,
    value_recording_key,
)

VALID = 'recorded_only: true\nmenu_key: "3"\nwritten_in: fr\nname: Tamazight\n'


@pytest.fixture
def prompts(tmp_path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(Path(PROJECT_DIR) / "prompts", folder)
    return folder


def declare(prompts: Path, code: str, text: str) -> None:
    (prompts / code).mkdir(exist_ok=True)
    (prompts / code / "_voice.yaml").write_text(text, encoding="utf-8")


def test_a_recorded_language_is_read_with_its_key_and_written_language_and_has_no_texts(prompts):
    declare(prompts, "zgh", VALID)

    catalog = Catalog.load(prompts)

    (recorded,) = catalog.recorded.values()
    assert (recorded.code, recorded.menu_key, recorded.written_in, recorded.name) == ("zgh", "3", "fr", "Tamazight")
    assert "zgh" not in catalog.texts and catalog.written("zgh") == "fr" and catalog.written("ar") == "ar"
    assert catalog.template("zgh", "credentials.sent") == catalog.texts["fr"]["credentials.sent"]
    assert catalog.for_synthesis().recorded == catalog.recorded


@pytest.mark.parametrize(
    "code, text, said",
    [
        ("zgh", VALID.replace("recorded_only: true", "recorded_only: false"), "must be recorded_only"),
        ("zgh", VALID.replace('"3"', "3"), 'menu_key must be one quoted keypad digit 1-9 ("3"), not 3'),
        ("zgh", VALID.replace('"3"', '"0"'), "menu_key must be one quoted keypad digit"),
        ("zgh", VALID.replace("written_in: fr", "written_in: en"), "written_in must be one of ar, fr, not 'en'"),
        ("zgh", VALID + "voice: zgh\n", "unknown settings voice"),
        ("zgh", VALID.replace("name: Tamazight\n", ""), "name must say the language in words"),
        ("Tamazight", VALID, "'Tamazight' is not a language code"),
    ],
)
def test_a_faulty_recorded_language_declaration_is_refused_saying_what_to_write(prompts, code, text, said):
    declare(prompts, code, text)

    with pytest.raises(CatalogError) as refused:
        Catalog.load(prompts)

    assert f"{code}/_voice.yaml" in str(refused.value) and said in str(refused.value)


def test_two_recorded_languages_cannot_share_the_language_menus_key(prompts):
    declare(prompts, "zgh", VALID)
    declare(prompts, "rif", VALID.replace("Tamazight", "Tarifit"))

    with pytest.raises(CatalogError, match="share the language menu's key 3"):
        Catalog.load(prompts)


def test_a_recorded_languages_prompt_is_composed_of_the_stretches_of_its_written_languages_template(prompts):
    declare(prompts, "zgh", VALID)
    catalog = Catalog.load(prompts)

    assert recording_keys(catalog, "zgh", "credentials.sent") == recording_keys(catalog, "fr", "credentials.sent")
    params = {"number": DigitString("42"), "last_four": "7"}
    recorded = {"digit.4": Recorded("a" * 16), "digit.2": Recorded("b" * 16)}

    unrecorded = prompt_pieces(catalog, "zgh", "credentials.sent", params)
    played = prompt_pieces(catalog, "zgh", "credentials.sent", params, recorded.get)

    assert "Votre numéro d'immatriculation est :" in unrecorded  # the written language's words, where not recorded
    assert [piece for piece in played if isinstance(piece, Recorded)] == [recorded["digit.4"], recorded["digit.2"]]


def test_values_known_in_advance_have_a_recording_key_of_their_own_and_digits_have_none():
    schedule = Schedule((DaysAndHours("mon", "fri", ClockTime(8, 30), ClockTime(16, 30)),))

    assert value_recording_key(Day(date(2022, 2, 1))) == "value.date.2022-02-01"
    assert value_recording_key(Month(date(2021, 12, 1))) == "value.month.2021-12"
    assert value_recording_key(Localized((("fr", "Médecins"),), recording="category.medecin")) == (
        "value.category.medecin"
    )
    assert value_recording_key(schedule) == "value.hours.mon-fri-0830-1630"
    assert value_recording_key(Localized((("fr", "x"),))) is None
    assert value_recording_key(DigitString("123")) is None


def test_the_language_question_draws_the_arrow_of_a_recorded_languages_key():
    arrows = declared_arrows(FlowBook.load()["language.choose"])

    assert [target.state for label, target, *_ in arrows if label == MORE_LANGUAGES_LABEL] == ["menu.choose"]


def test_a_recorded_languages_menu_key_that_the_language_question_already_takes_refuses_the_start(prompts):
    declare(prompts, "zgh", VALID.replace('"3"', '"2"'))

    with pytest.raises(FlowError) as refused:
        load_checked(prompts_dir=prompts)

    assert any(
        problem.endswith("zgh/_voice.yaml:1: menu_key 2 is already a key of language.choose")
        for problem in refused.value.problems
    ), refused.value.problems


def test_a_recorded_language_with_a_free_key_passes_the_checks_the_server_starts_with(prompts):
    declare(prompts, "zgh", VALID)

    _, catalog = load_checked(prompts_dir=prompts)

    assert list(catalog.recorded) == ["zgh"]
