"""The prompt catalog is refused with a missing key, a placeholder mismatch or an unused key."""

import shutil

import pytest
import yaml

from ivr.callflow import checks
from ivr.flows.loader import FlowBook, FlowError
from ivr.speech.catalog import PROMPTS_DIR, Catalog


@pytest.fixture
def prompts_copy(tmp_path):
    """Return a copy of the catalog, and a function that edits one of its files."""
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, folder)

    def edit(language: str, file: str, change) -> None:
        path = folder / language / file
        texts = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(texts)
        path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")

    return folder, edit


@pytest.fixture
def check(app, prompts_copy):
    def run():
        return app.test_cli_runner().invoke(args=["prompts", "check", "--prompts-dir", str(prompts_copy[0])])

    return run


def test_the_shipped_catalog_passes_the_check(check):
    result = check()
    assert result.exit_code == 0, result.output
    assert "catalog ok" in result.output


def test_a_key_missing_in_one_language_is_refused(prompts_copy, check):
    prompts_copy[1]("ar", "calls.yaml", lambda texts: texts.pop("menu.invalid"))
    result = check()
    assert result.exit_code == 1
    assert "menu.invalid: missing in ar" in result.output


def test_a_translation_with_other_placeholders_is_refused(prompts_copy, check):
    prompts_copy[1](
        "fr",
        "calls.yaml",
        lambda texts: texts.update({"completion.confirm_mobile": "Le numéro se termine par {last_digits}. Tapez 1."}),
    )
    result = check()
    assert result.exit_code == 1
    assert "completion.confirm_mobile: placeholders differ" in result.output


def test_a_key_that_nothing_says_is_refused(prompts_copy, check):
    for language in ("ar", "fr"):
        prompts_copy[1](language, "calls.yaml", lambda texts: texts.update({"menu.forgotten": "…"}))
    result = check()
    assert result.exit_code == 1
    assert "menu.forgotten: no flow, action or code uses it" in result.output


def test_every_problem_is_listed_at_once(prompts_copy, check):
    prompts_copy[1]("ar", "calls.yaml", lambda texts: texts.pop("menu.invalid"))
    prompts_copy[1]("fr", "calls.yaml", lambda texts: texts.update({"menu.forgotten": "…"}))
    result = check()
    assert "menu.invalid: missing in ar" in result.output
    assert "menu.forgotten: missing in ar" in result.output
    assert "menu.forgotten: no flow, action or code uses it" in result.output


def test_the_flow_loader_refuses_an_unused_key_when_the_app_starts(prompts_copy):
    for language in ("ar", "fr"):
        prompts_copy[1](language, "calls.yaml", lambda texts: texts.update({"menu.forgotten": "…"}))
    with pytest.raises(FlowError, match=r"menu\.forgotten.*no flow, action or code uses it"):
        checks.check(FlowBook.load(), Catalog.load(prompts_copy[0]))
