"""The synthesiser reads fully vocalised Arabic, kept beside the plain text and checked to carry its letters;
<Say> and the SMS keep the plain text."""

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

import ivr.callflow.actions  # noqa: F401  (fills the registry)
from ivr.callflow import catalog_checks
from ivr.flows.loader import FlowBook
from ivr.registration.categories import CATEGORIES_FILE, CategoryError, load_categories
from ivr.speech import arabic_numbers
from ivr.speech.catalog import (
    PROMPTS_DIR,
    Catalog,
    CatalogError,
    needs_vocalised,
    placeholders,
    shadda_first,
    spelled_for_synthesis,
    strip_diacritics,
)
from ivr.speech.values import (
    ClockTime,
    Day,
    DaysAndHours,
    DigitString,
    Localized,
    Month,
    Schedule,
    Word,
    prompt_text,
    say_value,
)
from tests.unit.test_arabic_prompts import SAID_KEYS, representative_values

CATALOG = Catalog.load()
SYNTHESIS = CATALOG.for_synthesis()
TABLE = load_categories()
DIACRITIC = re.compile("[\u064b-\u0652]")
ARABIC_WORD = re.compile("[\u0621-\u0652]+")
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="no speech engine here (espeak-ng): apt-get install espeak-ng"
)


def v(text: str) -> str:
    """Return vocalised words as the synthesis catalog gives them (shadda before the vowel)."""
    return spelled_for_synthesis(text)


def has_diacritics(text: str) -> bool:
    return DIACRITIC.search(text) is not None


# The shipped catalog.


def test_every_shipped_vocalised_text_passes_the_check():
    assert CATALOG.vocalised_problems() == []
    assert catalog_checks.problems(CATALOG, FlowBook.load()) == []


def test_every_spoken_arabic_key_has_a_vocalised_text_and_texted_keys_have_none():
    spoken = {key for key, text in CATALOG.texts["ar"].items() if needs_vocalised(key, text)}
    assert spoken <= set(CATALOG.vocalised["ar"])
    assert "language.welcome" in spoken and "sms.credentials" not in CATALOG.vocalised["ar"]


def test_the_vocalised_folder_is_not_read_as_prompts():
    assert not any(has_diacritics(text) for text in CATALOG.texts["ar"].values())


@pytest.mark.parametrize("key", SAID_KEYS)
def test_a_prompt_for_synthesis_is_the_plain_prompt_fully_vocalised_with_every_value(key):
    values = representative_values()
    names = {name for name in values if "{" + name + "}" in CATALOG.texts["ar"][key]}
    count = max((len(values[name]) for name in names), default=1)
    for i in range(count):
        params = {name: values[name][i % len(values[name])] for name in names}
        plain, vocalised = prompt_text(CATALOG, "ar", key, params), prompt_text(SYNTHESIS, "ar", key, params)
        assert strip_diacritics(vocalised) == plain
        bare = [word for word in ARABIC_WORD.findall(vocalised) if not has_diacritics(word)]
        assert not bare, f"{key}: words left without their vowels: {bare}"


# What category.confirm says for a CPU worker: a label, a month and a date.
CATEGORY_CONFIRM_VALUES = {
    "category": Localized.of(TABLE.get("cpu").label),
    "due_month": Month(date(2021, 12, 1)),
    "coverage_date": Day(date(2022, 3, 5)),
}


def test_a_prompt_with_a_number_a_date_and_a_category_label_is_said_vocalised():
    params = CATEGORY_CONFIRM_VALUES
    text = prompt_text(SYNTHESIS, "ar", "category.confirm", params)
    assert v("الْأَشْخَاصُ الْخَاضِعُونَ لِلْمُسَاهَمَةِ الْمِهْنِيَّةِ الْمُوَحَّدَةِ") in text
    assert v("مِنْ دُجَنْبِرْ أَلْفَيْنِ وَوَاحِدٍ وَعِشْرِينَ") in text
    assert v("مِنَ الْخَامِسِ مِنْ مَارِسْ أَلْفَيْنِ وَاثْنَيْنِ وَعِشْرِينَ") in text  # مِنْ takes a fatha before al-
    assert v("اِضْغَطْ عَلَى الرَّقْمِ 1") in text
    assert strip_diacritics(text) == prompt_text(CATALOG, "ar", "category.confirm", params)


# Say mode and the SMS keep the plain text; French is unchanged.


def test_say_mode_keeps_the_plain_text_and_plain_values():
    params = CATEGORY_CONFIRM_VALUES
    text = prompt_text(CATALOG, "ar", "category.confirm", params)
    assert not has_diacritics(text)
    assert "الأشخاص الخاضعون للمساهمة المهنية الموحدة" in text
    assert "الخامس من مارس ألفين واثنين وعشرين" in text


def test_the_sms_text_stays_plain_even_in_the_synthesis_catalog():
    assert SYNTHESIS.texts["ar"]["sms.credentials"] == CATALOG.texts["ar"]["sms.credentials"]
    assert not has_diacritics(CATALOG.texts["ar"]["sms.credentials"])


def test_the_synthesis_catalog_keeps_french_and_the_voices():
    assert SYNTHESIS.texts["fr"] == CATALOG.texts["fr"]
    assert SYNTHESIS.voices == CATALOG.voices
    assert SYNTHESIS.synthesis and not CATALOG.synthesis
    assert prompt_text(
        SYNTHESIS,
        "fr",
        "info.dates",
        {
            "choice": Localized.of(TABLE.info_choice("4").label),
            "due_month": Month(date(2022, 2, 1)),
            "coverage_date": Day(date(2022, 3, 1)),
        },
    ) == prompt_text(
        CATALOG,
        "fr",
        "info.dates",
        {
            "choice": Localized.of(TABLE.info_choice("4").label),
            "due_month": Month(date(2022, 2, 1)),
            "coverage_date": Day(date(2022, 3, 1)),
        },
    )


# Values said for synthesis.


def test_numbers_are_vocalised_and_strip_to_the_plain_words():
    assert arabic_numbers.cardinal(1980, vocalised=True) == "أَلْفٍ وَتِسْعِمِائَةٍ وَثَمَانِينَ"
    assert arabic_numbers.cardinal(2022, vocalised=True) == "أَلْفَيْنِ وَاثْنَيْنِ وَعِشْرِينَ"
    assert arabic_numbers.cardinal(2022) == "ألفين واثنين وعشرين"
    for n in range(1, 10000):
        assert strip_diacritics(arabic_numbers.cardinal(n, vocalised=True)) == arabic_numbers.cardinal(n)
    for n in range(2, 32):
        assert strip_diacritics(arabic_numbers.day_of_month(n, vocalised=True)) == arabic_numbers.day_of_month(n)
    for n in range(1, 60):
        assert strip_diacritics(arabic_numbers.minutes(n, vocalised=True)) == arabic_numbers.minutes(n)


def test_ordinals_and_minutes_take_their_case_endings():
    assert arabic_numbers.day_of_month(5, vocalised=True) == "الْخَامِسِ"
    assert arabic_numbers.day_of_month(15, vocalised=True) == "الْخَامِسَ عَشَرَ"
    assert arabic_numbers.day_of_month(21, vocalised=True) == "الْحَادِي وَالْعِشْرِينَ"
    assert arabic_numbers.day_of_month(30, vocalised=True) == v("الثَّلَاثِينَ")
    assert arabic_numbers.minutes(10, vocalised=True) == "عَشْرِ دَقَائِقَ"
    assert arabic_numbers.minutes(13, vocalised=True) == "ثَلَاثَ عَشْرَةَ دَقِيقَةً"
    assert arabic_numbers.minutes(23, vocalised=True) == "ثَلَاثٍ وَعِشْرِينَ دَقِيقَةً"


def test_a_date_a_month_and_the_first_of_a_month_are_said_vocalised():
    assert say_value(SYNTHESIS, "ar", Day(date(2022, 3, 5))) == "الْخَامِسِ مِنْ مَارِسْ أَلْفَيْنِ وَاثْنَيْنِ وَعِشْرِينَ"
    assert say_value(SYNTHESIS, "ar", Day(date(2022, 2, 1))) == "فَاتِحِ فِبْرَايِرْ أَلْفَيْنِ وَاثْنَيْنِ وَعِشْرِينَ"
    assert say_value(SYNTHESIS, "ar", Month(date(2021, 12, 1))) == "دُجَنْبِرْ أَلْفَيْنِ وَوَاحِدٍ وَعِشْرِينَ"
    assert say_value(CATALOG, "ar", Month(date(2021, 12, 1))) == "دجنبر ألفين وواحد وعشرين"


def test_hours_are_said_vocalised():
    assert say_value(SYNTHESIS, "ar", ClockTime(8, 30)) == v("الثَّامِنَةِ وَالنِّصْفِ صَبَاحًا")
    assert say_value(SYNTHESIS, "ar", ClockTime(12, 0)) == v("الثَّانِيَةَ عَشْرَةَ ظُهْرًا")
    assert say_value(SYNTHESIS, "ar", ClockTime(16, 10)) == v("الرَّابِعَةِ وَعَشْرِ دَقَائِقَ مَسَاءً")
    assert say_value(SYNTHESIS, "ar", Word("day.sat")) == v("السَّبْتِ")
    assert say_value(CATALOG, "ar", ClockTime(16, 10)) == "الرابعة وعشر دقائق مساء"


def test_digits_are_said_vocalised_one_by_one():
    assert say_value(SYNTHESIS, "ar", DigitString("38")) == "ثَلَاثَةْ، ثَمَانِيَةْ"
    assert say_value(CATALOG, "ar", DigitString("38")) == "ثلاثة، ثمانية"


def test_category_labels_are_said_vocalised_for_synthesis_only():
    label = Localized.of(TABLE.info_choice("4").label)
    assert say_value(SYNTHESIS, "ar", label) == v("الْمُقَاوِلِينَ الذَّاتِيِّينَ")
    assert say_value(CATALOG, "ar", label) == "المقاولين الذاتيين"
    assert say_value(SYNTHESIS, "fr", label) == "les auto-entrepreneurs"
    assert hash(label) == hash(Localized.of(TABLE.info_choice("4").label))


def test_every_category_label_has_a_vocalised_text_with_the_same_letters():
    for group in [*TABLE.categories.values(), *TABLE.info_choices]:
        assert strip_diacritics(group.label.vocalised["ar"]) == group.label["ar"]
        assert has_diacritics(group.label.vocalised["ar"])
    assert TABLE.get("medecin").label == {"fr": "Médecins", "ar": "الأطباء"}


def test_a_category_label_whose_vocalised_text_drifted_is_refused(tmp_path):
    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    data["categories"]["medecin"]["label"]["ar_vocalised"] = "الْأَطِبَّاءِ الْجُدُدُ"
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CategoryError, match=r"medecin: ar_vocalised differs from the plain text"):
        load_categories(path)


def test_a_category_label_without_its_vocalised_text_is_refused(tmp_path):
    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    del data["info_choices"]["2"]["label"]["ar_vocalised"]
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CategoryError, match=r"info choice 2: needs ar_vocalised"):
        load_categories(path)


# The strip function.


def test_stripping_removes_vowels_tanwin_shadda_sukun_superscript_alef_and_tatweel_only():
    assert strip_diacritics("ثَمَانِيَةِ أَرْقَامٍ") == "ثمانية أرقام"
    assert strip_diacritics("هٰذَا الرَّقْمُ، مـرحبا!") == "هذا الرقم، مرحبا!"
    assert strip_diacritics("{hour} وَ{minutes} 05 20") == "{hour} و{minutes} 05 20"


def test_synthesis_puts_the_shadda_before_the_vowel_as_espeak_reads_it():
    assert spelled_for_synthesis("الر\u064e\u0651قْمِ") == "الر\u0651\u064eقْمِ"
    assert all("\u064e\u0651" not in text for text in SYNTHESIS.texts["ar"].values())


# The check refuses drift, in small catalogs.


def small_catalog(tmp_path: Path, vocalised: dict[str, str], plain: dict[str, str] | None = None) -> Path:
    """Write a catalog of two languages with the given Arabic vocalised texts; return its folder."""
    plain = plain or {
        "menu.choose": "اضغط على الرقم {digit}.",
        "menu.invalid": "هذا الاختيار غير صحيح.",
        "time.on_the_hour": "{hour} {period}",
        "sms.credentials": "رقم التسجيل: {number}.",
    }
    french = {
        key: " ".join(["Texte", *("{" + name + "}" for name in sorted(placeholders(text)))])
        for key, text in plain.items()
    }
    for language, texts in (("ar", plain), ("fr", french)):
        folder = tmp_path / "prompts" / language
        folder.mkdir(parents=True)
        voice = {"say_language": language, "say_voice": "Polly.Zeina", "audio_voice": language, "audio_rate": 150}
        (folder / "_voice.yaml").write_text(yaml.safe_dump(voice), encoding="utf-8")
        (folder / "calls.yaml").write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    (tmp_path / "prompts" / "ar" / "vocalised").mkdir()
    (tmp_path / "prompts" / "ar" / "vocalised" / "calls.yaml").write_text(
        yaml.safe_dump(vocalised, allow_unicode=True), encoding="utf-8"
    )
    return tmp_path / "prompts"


GOOD = {"menu.choose": "اِضْغَطْ عَلَى الرَّقْمِ {digit}.", "menu.invalid": "هَذَا الِاخْتِيَارُ غَيْرُ صَحِيحٍ."}


def refusals(folder: Path) -> list[str]:
    """Return the vocalised problems the catalog check reports (the key checks of unused keys aside)."""
    catalog = Catalog.load(folder, check=False)
    return [p for p in catalog_checks.problems(catalog, FlowBook.load()) if "/vocalised/" in p]


def test_a_small_catalog_with_matching_vocalised_texts_passes(tmp_path):
    folder = small_catalog(tmp_path, GOOD)
    catalog = Catalog.load(folder)
    assert refusals(folder) == []
    assert catalog.for_synthesis().texts["ar"]["time.on_the_hour"] == "{hour} {period}"  # no Arabic: plain


def test_a_drifted_vocalised_text_is_refused_with_its_first_difference(tmp_path):
    folder = small_catalog(tmp_path, {**GOOD, "menu.invalid": "هَذَا الِاخْتِيَارُ غَيْرُ صَالِحٍ."})
    assert refusals(folder) == [
        "prompts/ar/vocalised/calls.yaml: menu.invalid: differs from the plain text at character 19: "
        "'صحيح.' but 'صالح.'"
    ]
    with pytest.raises(CatalogError, match=r"prompts/ar/vocalised/calls\.yaml: menu\.invalid: differs"):
        Catalog.load(folder)


def test_a_vocalised_text_with_other_punctuation_is_refused(tmp_path):
    folder = small_catalog(tmp_path, {**GOOD, "menu.invalid": "هَذَا الِاخْتِيَارُ غَيْرُ صَحِيحٍ"})
    assert refusals(folder) and "menu.invalid: differs from the plain text" in refusals(folder)[0]


def test_a_spoken_key_without_a_vocalised_text_is_refused(tmp_path):
    folder = small_catalog(tmp_path, {"menu.choose": GOOD["menu.choose"]})
    assert refusals(folder) == ["prompts/ar/vocalised/calls.yaml: menu.invalid: no vocalised text for this spoken key"]


def test_a_vocalised_key_the_plain_catalog_lacks_is_refused(tmp_path):
    folder = small_catalog(tmp_path, {**GOOD, "menu.extra": "مَرْحَبًا"})
    assert refusals(folder) == ["prompts/ar/vocalised/calls.yaml: menu.extra: vocalised, but not in the plain catalog"]


def test_a_vocalised_text_with_a_changed_placeholder_is_refused(tmp_path):
    folder = small_catalog(tmp_path, {**GOOD, "menu.choose": "اِضْغَطْ عَلَى الرَّقْمِ {key}."})
    found = refusals(folder)
    assert found[0] == (
        "prompts/ar/vocalised/calls.yaml: menu.choose: placeholders differ from the plain text (['digit'] but ['key'])"
    )


def test_the_prompts_check_command_refuses_a_drifted_vocalised_text(app, tmp_path):
    folder = shutil.copytree(PROMPTS_DIR, tmp_path / "prompts")
    path = folder / "ar" / "vocalised" / "calls.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("شُكْرًا عَلَى", "شُكْرًا لَكَ عَلَى"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["prompts", "check", "--prompts-dir", str(folder)])
    assert result.exit_code == 1
    # Named in the folder checked, at the key's line, not in the shipped prompts/.
    assert re.search(rf"{re.escape(str(path))}:\d+: common.goodbye: differs from the plain text", result.output)


# What espeak-ng says.


def espeak_phonemes(text: str) -> str:
    found = subprocess.run(["espeak-ng", "-v", "ar", "-q", "-x", text], capture_output=True, text=True, check=True)
    return found.stdout


@needs_espeak
def test_espeak_keeps_the_short_vowels_of_a_vocalised_prompt():
    plain = espeak_phonemes(CATALOG.text("ar", "identity.ask_birth_date"))
    vocalised = espeak_phonemes(SYNTHESIS.text("ar", "identity.ask_birth_date"))
    # ثمانية: the plain text loses the a after the th (Tma:n), the vocalised one keeps it (Tama:n).
    assert re.search(r"Tma:n", plain), plain
    assert re.search(r"T[,']?am[,']?a:n", vocalised), vocalised
    assert not re.search(r"Tma:n", vocalised), vocalised


def test_a_schedule_said_alone_joins_its_words_as_in_a_prompt():
    days = DaysAndHours("mon", "fri", ClockTime(8, 30), ClockTime(16, 30))
    said = say_value(SYNTHESIS, "ar", Schedule((days,)))
    assert said.startswith(v("مِنَ الِاثْنَيْنِ إِلَى الْجُمُعَةِ، مِنَ الثَّامِنَةِ وَالنِّصْفِ صَبَاحًا"))
    assert strip_diacritics(said) == say_value(CATALOG, "ar", Schedule((days,)))


def test_a_silent_alef_carries_its_short_i_for_synthesis_only():
    assert spelled_for_synthesis("لِلضَّمَانِ الِاجْتِمَاعِيِّ") == spelled_for_synthesis("لِلضَّمَانِ الاِجْتِمَاعِيِّ")
    assert spelled_for_synthesis("لِاسْتِكْمَالِ تَسْجِيلِكَ") == "لِاِسْتِكْمَالِ تَسْجِيلِكَ"
    assert spelled_for_synthesis("ثُمَّ اضْغَطْ") == shadda_first("ثُمَّ اِضْغَطْ")
    assert spelled_for_synthesis("بِالْأَرْقَامِ بِاللُّغَةِ") == shadda_first("بِالْأَرْقَامِ بِاللُّغَةِ")  # an article: no
    assert "الِاجْتِمَاعِيِّ" in CATALOG.vocalised["ar"]["language.welcome"]  # the file keeps the usual spelling


@needs_espeak
def test_espeak_reads_a_silent_alef_as_a_short_i_not_a_long_a():
    phonemes = espeak_phonemes(SYNTHESIS.text("ar", "menu.choose"))
    assert "a:st" not in phonemes and "istikm" in phonemes, phonemes
