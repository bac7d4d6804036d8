"""Whole calls in play mode with studio recordings: recorded pieces where they exist, synthesis elsewhere."""

import logging
import os
import shutil
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from ivr.audio import recordings, wav
from ivr.audio.pieces import DIGIT_GAP, END_GAP, PHRASE_GAP, prompt_pieces, spoken_keys, template_pieces
from ivr.audio.player import Player
from ivr.factory import create_app
from ivr.speech.values import DigitString
from ivr.store.models import Registration
from ivr.web.extension import runtime_of
from tests.audio_support import needs_engine, rendered_catalog, stop_audio
from tests.e2e.conftest import complete
from tests.recording_support import digit_tones, record, tone

pytestmark = needs_engine


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "audio"


@pytest.fixture
def app(settings, folder):
    """A play-mode app whose audio library is its own copy of the rendered catalog (linked, not copied)."""
    app = create_app({**settings, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(folder)})
    shutil.copytree(rendered_catalog(app), folder, copy_function=os.link)
    yield app
    stop_audio(app)
    runtime_of(app).store.dispose()


def names_in(url: str) -> list[str]:
    """Return the pieces and pauses a /audio/ URL joins."""
    return urlsplit(url).path.removeprefix("/audio/").removesuffix(".wav").split("-")


def served_samples(app, url: str):
    answer = app.test_client().get(url)
    assert answer.status_code == 200, url
    return wav.read_wav(answer.data)


def synthesised(app, language: str, key: str, params=None) -> str:
    """Return the composed name of a prompt from synthesis alone."""
    rt = runtime_of(app)
    pieces = prompt_pieces(rt.catalog.for_synthesis(), language, key, params or {})  # as the player names them
    return rt.extras["audio"].composition(language, pieces)


def played(turn) -> list[str]:
    urls = [utterance.url for utterance in turn.heard]
    assert urls and all(urls), f"said instead of played: {turn.heard}"
    return urls


def test_a_recorded_prompt_plays_its_recording_and_the_others_their_synthesis(app, folder, phone):
    welcome = tone(440, ms=600)
    names = record(folder, {"fr": {"language.welcome": welcome}})

    urls = played(phone().dial())

    recorded = [url for url in urls if names_in(url) == [names["fr"]["language.welcome"], "p400"]]
    assert len(recorded) == 1
    assert served_samples(app, recorded[0]) == welcome + wav.silence(END_GAP.ms)
    others = [url for url in urls if url not in recorded]
    assert "-".join(names_in(others[0])) == synthesised(app, "ar", "language.welcome")
    for url in others:
        assert names["fr"]["language.welcome"] not in names_in(url)
        assert len(served_samples(app, url)) > wav.RATE // 2


def test_a_registration_number_is_read_from_the_recorded_digits(app, folder, phone, people, rt):
    digits = digit_tones()
    names = record(folder, {"fr": digits})
    caller = phone()

    last = complete(caller, people["amina"], "fr")

    with rt.store.transaction() as db:
        number = db.scalars(select(Registration.number)).one()
    digit_names = [names["fr"][f"digit.{d}"] for d in number]
    [url] = [url for url in played(last) if digit_names[0] in names_in(url)]
    joined = names_in(url)
    start = joined.index(digit_names[0])
    assert joined[start : start + 2 * len(number) - 1 : 2] == digit_names
    assert set(joined[start + 1 : start + 2 * len(number) - 1 : 2]) == {f"p{DIGIT_GAP.ms}"}
    spoken_number = digits[f"digit.{number[0]}"][:]
    for digit in number[1:]:
        spoken_number += wav.silence(DIGIT_GAP.ms) + digits[f"digit.{digit}"]
    assert spoken_number.tobytes() in served_samples(app, url).tobytes()


def test_a_prompt_whose_stretches_are_partly_recorded_mixes_recorded_and_synthesised_pieces(app, folder):
    rt = runtime_of(app)
    first, third = tone(500, ms=300), tone(700, ms=300)
    names = record(folder, {"fr": {"credentials.sent/1": first, "credentials.sent/3": third, **digit_tones()}})
    params = {"number": DigitString("100000017"), "last_four": DigitString("4578")}

    with app.test_request_context():
        url = Player(rt.extras["audio"], rt.catalog, "http://localhost").url("fr", "credentials.sent", params)

    assert url is not None
    pieces = names_in(url)
    stretches = [piece for piece in template_pieces(rt.catalog.texts["fr"]["credentials.sent"]) if piece]
    digits = [names["fr"][f"digit.{d}"] for d in "100000017"]
    last_four = [names["fr"][f"digit.{d}"] for d in "4578"]
    library = rt.extras["audio"]
    assert pieces[0] == names["fr"]["credentials.sent/1"] and pieces[1] == f"p{PHRASE_GAP.ms}"
    assert pieces[2:19:2] == digits
    assert pieces[20] == library.name("fr", stretches[1])  # the second stretch, not recorded: synthesised
    assert pieces[22:29:2] == last_four
    assert pieces[-3:] == [f"p{PHRASE_GAP.ms}", names["fr"]["credentials.sent/3"], f"p{END_GAP.ms}"]
    samples = served_samples(app, url)
    assert samples[: len(first)] == first
    assert samples[-len(third) - len(wav.silence(END_GAP.ms)) :] == third + wav.silence(END_GAP.ms)


def test_a_running_app_plays_a_new_recording_at_the_next_step_without_restart(app, folder, phone):
    caller = phone()
    caller.dial()
    menu = tone(600, ms=400)
    names = record(folder, {"fr": {"menu.choose": menu}})

    urls = played(caller.press("2"))

    [url] = [url for url in urls if names["fr"]["menu.choose"] in names_in(url)]
    assert served_samples(app, url) == menu + wav.silence(END_GAP.ms)

    invalid = tone(800, ms=300)
    again = record(folder, {"fr": {"menu.choose": menu, "menu.invalid": invalid}})  # imported again
    urls = played(caller.press("5"))  # not an option of the menu
    assert names_in(urls[0]) == [again["fr"]["menu.invalid"], f"p{END_GAP.ms}"]
    assert served_samples(app, urls[0]) == invalid + wav.silence(END_GAP.ms)


def test_a_recording_whose_file_is_missing_is_played_from_the_synthesis(app, folder, phone, caplog):
    names = record(folder, {"fr": {"language.welcome": tone(440)}})
    (folder / f"{names['fr']['language.welcome']}.wav").unlink()

    with caplog.at_level(logging.WARNING, logger="ivr.audio.library"):
        first, second = played(phone().dial()), played(phone("+212600333444").dial())

    expected = synthesised(app, "fr", "language.welcome")
    for urls in (first, second):
        assert sum("-".join(names_in(url)) == expected for url in urls) == 1
    assert served_samples(app, next(url for url in first if "-".join(names_in(url)) == expected))
    warnings = [r for r in caplog.records if "indexed but missing" in r.getMessage()]
    assert len(warnings) == 1


def test_prompts_check_reports_each_languages_coverage_by_recordings(app, folder):
    rt = runtime_of(app)
    record(
        folder,
        {
            "fr": {"language.welcome": tone(440), **{f"credentials.sent/{n}": tone(500 + n) for n in (1, 2, 3)}},
            "ar": {"credentials.sent/1": tone(500)},
        },
    )
    keys = spoken_keys(rt.catalog)

    def to_record(language: str) -> int:
        """Count the prompts with words to record (not `{month} {year}` nor a separator)."""
        return sum(any(template_pieces(rt.catalog.texts[language][key])) for key in keys)

    result = app.test_cli_runner().invoke(args=["prompts", "check", "--audio-dir", str(folder), "--verbose"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("catalog ok: ")
    assert f"ar: recorded 0, synthetic {to_record('ar')}, missing 0" in result.output  # 1 of 3 stretches is not enough
    assert f"fr: recorded 2, synthetic {to_record('fr') - 2}, missing 0" in result.output
    assert "  not recorded: credentials.sent" in lines and "  not recorded: menu.choose" in lines
    fr_part = lines[next(i for i, line in enumerate(lines) if line.startswith("fr: ")) :]
    assert "  not recorded: language.welcome" not in fr_part


def test_a_studio_folder_imported_while_the_app_runs_is_heard_at_the_next_step(app, folder, phone, tmp_path):
    studio = tmp_path / "studio"
    (studio / "fr").mkdir(parents=True)
    (studio / "fr" / "menu.choose.wav").write_bytes(wav.to_wav(tone(440, ms=800)))
    caller = phone()
    caller.dial()

    imported = app.test_cli_runner().invoke(
        args=["prompts", "import-recordings", str(studio), "--audio-dir", str(folder)]
    )

    assert imported.exit_code == 0, imported.output
    name = recordings.load(folder).name("fr", "menu.choose")
    assert name is not None
    urls = played(caller.press("2"))
    [url] = [url for url in urls if names_in(url) == [name, f"p{END_GAP.ms}"]]
    assert served_samples(app, url) == wav.read_wav((folder / f"{name}.wav").read_bytes()) + wav.silence(END_GAP.ms)
    checked = app.test_cli_runner().invoke(args=["prompts", "check", "--audio-dir", str(folder)])
    assert checked.exit_code == 0 and "fr: recorded 1, " in checked.output
