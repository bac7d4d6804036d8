"""A third language that exists by studio recordings alone, offered on the language menu once complete.

The tests declare it as `qaa` (ISO 639's code for local use: never a real language that ships), list what
`prompts check --verbose` says is missing, write each as a tone at 44.1 kHz stereo, and import them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile
from sqlalchemy import select

from ivr.audio import recordings
from ivr.audio.pieces import prompt_pieces
from ivr.factory import create_app
from ivr.settings import PROJECT_DIR
from ivr.simulator.played import play_lookup
from ivr.simulator.recognise import Heard, Recogniser
from ivr.store.models import Registration, SmsOutbox
from ivr.web.extension import runtime_of
from tests.audio_support import needs_engine, rendered_catalog, stop_audio
from tests.e2e.conftest import identify

pytestmark = needs_engine

CODE = "qaa"
STUDIO_RATE = 44100
DECLARATION = """\
# A language of the tests, spoken by tones: recorded alone, offered as key 3, texted in French.
recorded_only: true
menu_key: "3"
written_in: fr
name: Test tones
"""


@pytest.fixture
def prompts_dir(tmp_path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(Path(PROJECT_DIR) / "prompts", folder)
    (folder / CODE).mkdir()
    (folder / CODE / "_voice.yaml").write_text(DECLARATION, encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "audio"


@pytest.fixture
def app(settings, prompts_dir, folder):
    """A play-mode app with the test language declared, its library a copy of the rendered catalog."""
    app = create_app(
        {**settings, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(folder), "IVR_PROMPTS_DIR": str(prompts_dir)}
    )
    shutil.copytree(rendered_catalog(app), folder, copy_function=os.link)
    yield app
    stop_audio(app)
    runtime_of(app).store.dispose()


def check(app, folder) -> str:
    result = app.test_cli_runner().invoke(args=["prompts", "check", "--verbose", "--audio-dir", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


def not_recorded(output: str) -> list[str]:
    """Return the test language's keys `prompts check --verbose` lists as not recorded."""
    section = output.split(f"{CODE} (Test tones, recorded alone, key 3)", 1)[1]
    return [line.split(": ", 1)[1] for line in section.splitlines() if line.startswith("  not recorded: ")]


def studio_take(path: Path, key: str) -> None:
    """Write a key's take as a studio would deliver it: 44.1 kHz stereo, a tone of its own between silences."""
    frequency = 300 + int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 1500
    n = np.arange(STUDIO_RATE // 8)
    sound = np.concatenate([np.zeros(STUDIO_RATE // 20), 0.2 * np.sin(2 * np.pi * frequency * n / STUDIO_RATE)])
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.stack([sound, sound], axis=1), STUDIO_RATE, subtype="PCM_16")


def record_studio(app, folder, tmp_path, keys: list[str]) -> str:
    """Write the takes of keys (KEY, or KEY/N for a stretch) and import them; return the import's output."""
    studio = tmp_path / "studio"
    for key in keys:
        studio_take(studio / CODE / f"{key}.wav", key)
    result = app.test_cli_runner().invoke(
        args=["prompts", "import-recordings", str(studio), "--audio-dir", str(folder)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def names_in(url: str) -> list[str]:
    return urlsplit(url).path.removeprefix("/audio/").removesuffix(".wav").split("-")


def recorded_names(folder) -> set[str]:
    return set(recordings.load(folder).by_language.get(CODE, {}).values())


def all_recorded(url: str, names: set[str]) -> bool:
    """Tell whether a URL joins the test language's recordings and pauses alone (no synthesis)."""
    return all(name in names or name.startswith("p") for name in names_in(url))


@pytest.fixture
def complete_language(app, folder, tmp_path) -> set[str]:
    """Record every prompt and value of the test language; return its recordings' names."""
    missing = not_recorded(check(app, folder))
    assert "language.choose" in missing and "digit.7" in missing and any(k.startswith("value.date.") for k in missing)
    output = record_studio(app, folder, tmp_path, missing)
    assert f"{len(missing)} imported, 0 replaced, 0 unchanged, 0 refused" in output
    assert f"{CODE} (Test tones, recorded alone, key 3): complete" in check(app, folder)
    return recorded_names(folder)


def test_an_incomplete_recorded_language_is_not_offered_and_prompts_check_names_what_is_missing(
    app, folder, tmp_path, phone, voice
):
    missing = not_recorded(check(app, folder))
    record_studio(app, folder, tmp_path, [key for key in missing if key != "credentials.sent/2"])

    output = check(app, folder)
    assert f"{CODE} (Test tones, recorded alone, key 3): missing 1 recordings" in output
    assert not_recorded(output) == ["credentials.sent/2"]
    caller = phone()
    welcome = caller.dial()
    assert not any(all_recorded(utterance.url, recorded_names(folder)) for utterance in welcome.heard)
    assert len(welcome.heard) == 2 * 2  # the greeting and the choice, in Arabic and French only
    caller.press("3")
    assert voice.session(caller).state == "choose" and voice.session(caller).language is None


def test_a_complete_recorded_language_is_offered_and_a_caller_registers_in_it_hearing_recordings_only(
    app, complete_language, phone, people, rt, voice
):
    caller = phone()
    welcome = caller.dial()
    offered = [utterance.url for utterance in welcome.heard if all_recorded(utterance.url, complete_language)]
    assert len(offered) == 2  # its greeting and its choice, after the Arabic and the French ones
    assert welcome.heard[-1].url == offered[-1]

    turns = [caller.press("3"), caller.press("1")]
    turns.append(identify(caller, people["amina"]))
    turns += [caller.press("1"), caller.press("1")]

    assert voice.session(caller).language == CODE
    recogniser = Recogniser(rt.catalog, play_lookup(rt.catalog, rt.extras["audio"]))
    (menu,) = turns[0].heard
    assert recogniser.play(menu.url) == Heard("menu.choose", CODE, rt.catalog.text("fr", "menu.choose"))
    for turn in turns:
        assert turn.heard and all(all_recorded(u.url, complete_language) for u in turn.heard), turn.heard
    with rt.store.transaction() as db:
        registration = db.scalars(select(Registration)).one()
        sms = db.scalars(select(SmsOutbox)).one()
    assert registration.language == CODE
    assert sms.language == "fr"  # texted in the language it is written in
    digits = recordings.load(rt.settings["IVR_AUDIO_DIR"]).by_language[CODE]
    read = [name for u in turns[-1].heard for name in names_in(u.url) if not name.startswith("p")]
    number = [digits[f"digit.{d}"] for d in registration.number]
    assert any(read[i : i + len(number)] == number for i in range(len(read)))


def test_a_prompt_whose_recording_goes_missing_is_played_in_the_written_language(
    app, folder, complete_language, phone, rt, voice
):
    caller = phone()
    caller.dial()
    caller.press("3")
    index = recordings.load(folder)
    del index.by_language[CODE]["identity.ask_cin"]
    recordings.save(folder, index)  # after the caller chose the language

    (utterance,) = caller.press("1").heard

    assert voice.session(caller).language == CODE
    written = prompt_pieces(rt.catalog.for_synthesis(), "fr", "identity.ask_cin", {})
    assert names_in(utterance.url) == rt.extras["audio"].composition("fr", written).split("-")
