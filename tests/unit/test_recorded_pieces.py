"""Which pieces of a prompt are played from studio recordings, and how coverage by recordings is counted."""

import logging

from ivr.audio import recordings
from ivr.audio.library import AudioLibrary, Recorded
from ivr.audio.pieces import DIGIT_GAP, END_GAP, coverage, prompt_pieces, recording_keys, spoken_keys
from ivr.speech.values import DigitString, Word
from tests.recording_support import digit_tones, record, tone


def recorded_as(names: dict[str, str]):
    """Return the recording lookup of a language whose recorded keys are names' keys."""
    return lambda key: Recorded(names[key]) if key in names else None


def test_a_recorded_prompt_without_values_is_its_recording_then_a_pause(rt):
    pieces = prompt_pieces(rt.catalog, "fr", "common.goodbye", {}, recorded_as({"common.goodbye": "00000000000000aa"}))
    assert pieces == [Recorded("00000000000000aa"), END_GAP]


def test_a_number_is_read_from_recorded_digits_only_when_every_digit_is_recorded(rt):
    every = {f"digit.{d}": f"{d:016x}" for d in range(10)}
    params = {"number": DigitString("107"), "last_four": DigitString("4568")}
    pieces = prompt_pieces(rt.catalog, "fr", "credentials.sent", params, recorded_as(every))
    assert pieces[2:7] == [
        Recorded(every["digit.1"]),
        DIGIT_GAP,
        Recorded(every["digit.0"]),
        DIGIT_GAP,
        Recorded(every["digit.7"]),
    ]

    without_seven = {key: name for key, name in every.items() if key != "digit.7"}
    pieces = prompt_pieces(rt.catalog, "fr", "credentials.sent", params, recorded_as(without_seven))
    assert pieces[2:7] == ["un", DIGIT_GAP, "zéro", DIGIT_GAP, "sept"]  # one number is never read in two voices
    assert pieces[10:17:2] == [Recorded(every[f"digit.{d}"]) for d in "4568"]


def test_a_catalog_word_given_as_a_value_is_played_from_its_recording(rt):
    text = rt.catalog.texts["fr"]["advisor.closed"]
    assert "{today}" in text
    word_key = "day.sun"
    assert word_key in rt.catalog.texts["fr"]
    params = {"today": Word(word_key), "hours": "x"}
    pieces = prompt_pieces(rt.catalog, "fr", "advisor.closed", params, recorded_as({word_key: "00000000000000bb"}))
    assert pieces[0] == Recorded("00000000000000bb")


def test_a_prompt_with_values_is_recorded_as_its_stretches_numbered_from_one(rt):
    assert recording_keys(rt.catalog, "fr", "credentials.sent") == [f"credentials.sent/{n}" for n in (1, 2, 3)]
    assert recording_keys(rt.catalog, "fr", "common.goodbye") == ["common.goodbye"]
    assert recording_keys(rt.catalog, "fr", "month_year") == []  # values only: nothing to record


def test_a_language_without_a_synthetic_voice_counts_its_unrecorded_prompts_as_missing(rt):
    recorded = recorded_as({"common.goodbye": "00000000000000aa"})
    with_voice = coverage(rt.catalog, "fr", recorded, synthesised=True)
    without = coverage(rt.catalog, "fr", recorded, synthesised=False)
    assert (with_voice.recorded, without.recorded) == (1, 1)
    assert with_voice.missing == 0 and without.synthetic == 0
    assert without.missing == with_voice.synthetic == len(with_voice.not_recorded) > 100
    assert "common.goodbye" not in without.not_recorded and set(without.not_recorded) <= set(spoken_keys(rt.catalog))


def test_the_index_is_read_again_only_when_an_import_replaced_it(tmp_path, monkeypatch):
    library = AudioLibrary(tmp_path, {}, None)
    assert library.recordings().by_language == {}
    names = record(tmp_path, {"fr": {"common.goodbye": tone(440)}})
    reads = []
    real_load = recordings.load
    monkeypatch.setattr("ivr.audio.library.load", lambda folder: reads.append(folder) or real_load(folder))

    assert library.recordings().name("fr", "common.goodbye") == names["fr"]["common.goodbye"]
    assert library.recordings().name("fr", "common.goodbye") == names["fr"]["common.goodbye"]
    assert len(reads) == 1
    again = record(tmp_path, {"fr": {"common.goodbye": tone(500)}})
    assert library.recordings().name("fr", "common.goodbye") == again["fr"]["common.goodbye"]
    assert len(reads) == 2


def test_an_indexed_recording_whose_file_is_missing_is_not_played_and_said_once_in_the_log(tmp_path, caplog):
    library = AudioLibrary(tmp_path, {}, None)
    names = record(tmp_path, {"fr": digit_tones()})
    (tmp_path / f"{names['fr']['digit.3']}.wav").unlink()
    index = library.recordings()
    with caplog.at_level(logging.WARNING, logger="ivr.audio.library"):
        assert library.recorded(index, "fr", "digit.3") is None
        assert library.recorded(index, "fr", "digit.3") is None
    assert library.recorded(index, "fr", "digit.4") == Recorded(names["fr"]["digit.4"])
    assert sum("indexed but missing" in r.getMessage() for r in caplog.records) == 1
