"""How a prompt is cut into pieces to render and pauses, its values said in the caller's language."""

from datetime import date

from ivr.audio.pieces import DIGIT_GAP, END_GAP, PHRASE_GAP, known_values, prompt_pieces, texts_to_render
from ivr.speech.values import Day, DigitString, Localized, Month


def test_a_prompt_without_values_is_one_piece_then_a_pause(rt):
    assert prompt_pieces(rt.catalog, "fr", "common.goodbye", {}) == ["Merci de votre appel. Au revoir.", END_GAP]


def test_a_registration_number_is_said_digit_by_digit_in_the_callers_language(rt):
    pieces = prompt_pieces(
        rt.catalog, "ar", "credentials.sent", {"number": DigitString("100000017"), "last_four": DigitString("4578")}
    )
    number = pieces[2:19]
    assert number[::2] == ["واحد", "صفر", "صفر", "صفر", "صفر", "صفر", "صفر", "واحد", "سبعة"]
    assert set(number[1::2]) == {DIGIT_GAP}
    assert pieces[1] == pieces[19] == PHRASE_GAP
    assert pieces[22:29:2] == ["أربعة", "خمسة", "سبعة", "ثمانية"]
    assert pieces[-1] == END_GAP


def test_dates_months_and_category_labels_are_each_one_piece_in_the_language(rt):
    params = {
        "choice": Localized.of({"fr": "les médecins", "ar": "الأطباء"}),
        "due_month": Month(date(2022, 1, 1)),
        "coverage_date": Day(date(2022, 2, 1)),
    }
    pieces = [p for p in prompt_pieces(rt.catalog, "ar", "info.dates", params) if isinstance(p, str)]
    assert "الأطباء" in pieces and "يناير ألفين واثنين وعشرين" in pieces and "فاتح فبراير ألفين واثنين وعشرين" in pieces
    french = [p for p in prompt_pieces(rt.catalog, "fr", "info.dates", params) if isinstance(p, str)]
    assert "les médecins" in french and "janvier 2022" in french and "1er février 2022" in french


def test_the_texts_to_render_cover_every_spoken_prompt_and_every_known_value_but_no_sms(rt):
    texts = texts_to_render(rt.catalog, known_values(rt))
    for language in ("ar", "fr"):
        assert rt.catalog.text(language, "menu.choose") in texts[language]
        assert all(rt.catalog.text(language, f"digit.{d}") in texts[language] for d in range(10))
        for category in rt.categories.categories.values():
            assert category.label[language] in texts[language]
        assert not any("{password}" in t or "macnss.ma" in t for t in texts[language])
    assert "فاتح فبراير ألفين واثنين وعشرين" in texts["ar"] and "décembre 2021" in texts["fr"]
    assert "من الاثنين إلى الجمعة، من الثامنة والنصف صباحا إلى الرابعة والنصف مساء" in texts["ar"]
    assert "du lundi au vendredi, de 8 heures 30 à 16 heures 30" in texts["fr"]
