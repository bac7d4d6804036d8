from datetime import date
from pathlib import Path

import pytest
import yaml

from ivr.registration.categories import CATEGORIES_FILE, CATEGORY_CODES, CategoryError, load_categories

SPEC_CODES = (
    "cpu",
    "commercant_comptable",
    "medecin",
    "pharmacien",
    "dentiste",
    "notaire",
    "sage_femme",
    "kinesitherapeute",
    "opticien",
    "audioprothesiste",
    "orthoptiste",
    "orthophoniste",
    "psychomotricien",
    "podologue",
    "prothesiste_dentaire",
    "dieteticien",
    "psychologue",
    "auto_entrepreneur",
)
CPU = (date(2021, 12, 1), date(2022, 1, 1))
ACCOUNTING_ROW = (date(2022, 1, 1), date(2022, 2, 1))
AUTO_ENTREPRENEURS = (date(2022, 2, 1), date(2022, 3, 1))
# The communiqué's table, its merged cells spelled out.
EXPECTED_DATES = dict.fromkeys(SPEC_CODES, ACCOUNTING_ROW) | {"cpu": CPU, "auto_entrepreneur": AUTO_ENTREPRENEURS}


@pytest.fixture(scope="module")
def table():
    return load_categories()


def rewritten(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_table_has_the_eighteen_codes_of_the_spec_in_order(table):
    assert table.codes == SPEC_CODES == CATEGORY_CODES


@pytest.mark.parametrize("code", SPEC_CODES)
def test_every_category_has_the_dates_of_the_communique(table, code):
    category = table.get(code)
    assert (category.contributions_due, category.coverage_starts) == EXPECTED_DATES[code]


def test_cpu_contributions_are_due_from_december_2021_and_coverage_starts_on_1_january_2022(table):
    assert table.get("cpu").contributions_due == date(2021, 12, 1)
    assert table.get("cpu").coverage_starts == date(2022, 1, 1)


@pytest.mark.parametrize("code", SPEC_CODES[2:-1])
def test_medecins_to_psychologues_share_the_commercants_dates(table, code):
    commercants = table.get("commercant_comptable")
    assert table.get(code).contributions_due == commercants.contributions_due == date(2022, 1, 1)
    assert table.get(code).coverage_starts == commercants.coverage_starts == date(2022, 2, 1)


def test_auto_entrepreneurs_owe_from_february_2022_and_are_covered_from_1_march_2022(table):
    category = table.get("auto_entrepreneur")
    assert (category.contributions_due, category.coverage_starts) == (date(2022, 2, 1), date(2022, 3, 1))


@pytest.mark.parametrize("code", SPEC_CODES)
def test_every_category_has_a_french_and_an_arabic_label(table, code):
    label = table.get(code).label
    assert set(label) == {"fr", "ar"}
    assert label["fr"].strip() and label["ar"].strip()
    assert any("\u0600" <= char <= "\u06ff" for char in label["ar"])


def test_the_medecins_label_is_spoken_in_both_languages(table):
    assert table.get("medecin").label == {"fr": "Médecins", "ar": "الأطباء"}


def test_an_unknown_code_raises_key_error(table):
    with pytest.raises(KeyError):
        table.get("astronaute")


def test_the_information_menu_offers_four_choices_by_keypad_digit(table):
    assert [choice.key for choice in table.info_choices] == ["1", "2", "3", "4"]
    assert table.info_choices[0].categories == ("cpu",)
    assert table.info_choice("4").categories == ("auto_entrepreneur",)


def test_each_information_choice_has_the_dates_of_its_categories(table):
    assert (table.info_choice("1").contributions_due, table.info_choice("1").coverage_starts) == CPU
    assert (table.info_choice("2").contributions_due, table.info_choice("2").coverage_starts) == ACCOUNTING_ROW
    assert (table.info_choice("3").contributions_due, table.info_choice("3").coverage_starts) == ACCOUNTING_ROW
    assert (table.info_choice("4").contributions_due, table.info_choice("4").coverage_starts) == AUTO_ENTREPRENEURS


def test_the_liberal_professions_choice_groups_medecins_to_psychologues(table):
    choice = table.info_choice("3")
    assert choice.categories == SPEC_CODES[2:-1]
    assert "médecins" in choice.label["fr"] and "الأطباء" in choice.label["ar"]


def test_every_category_is_in_exactly_one_information_choice(table):
    grouped = [code for choice in table.info_choices for code in choice.categories]
    assert sorted(grouped) == sorted(SPEC_CODES)


def test_an_unknown_information_choice_raises_key_error(table):
    with pytest.raises(KeyError):
        table.info_choice("9")


def test_a_choice_whose_categories_do_not_share_dates_is_refused(tmp_path):
    def mix(data):
        data["info_choices"]["3"]["categories"].append("auto_entrepreneur")
        data["info_choices"]["4"]["categories"] = ["cpu"]
        data["info_choices"]["1"]["categories"] = ["commercant_comptable"]
        del data["info_choices"]["2"]

    with pytest.raises(CategoryError, match="do not share"):
        load_categories(rewritten(tmp_path, mix))


def test_a_file_without_one_of_the_codes_is_refused(tmp_path):
    with pytest.raises(CategoryError, match="notaire"):
        load_categories(rewritten(tmp_path, lambda data: data["categories"].pop("notaire")))


def test_a_category_without_an_arabic_label_is_refused(tmp_path):
    with pytest.raises(CategoryError, match="dentiste"):
        load_categories(rewritten(tmp_path, lambda data: data["categories"]["dentiste"]["label"].pop("ar")))


def test_a_contribution_month_that_is_not_a_month_is_refused(tmp_path):
    def break_month(data):
        data["categories"]["cpu"]["contributions_due"] = "2021-13"

    with pytest.raises(CategoryError, match="YYYY-MM"):
        load_categories(rewritten(tmp_path, break_month))
