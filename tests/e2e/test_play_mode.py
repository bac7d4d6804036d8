"""Whole calls in play mode: every prompt is a <Play> of rendered audio that the app serves."""

import re

import pytest

from ivr.factory import create_app
from ivr.web.extension import runtime_of
from tests.audio_support import audio_folder, needs_engine, rendered_catalog, sound_of, stop_audio
from tests.e2e.conftest import choose, complete, identify


@pytest.fixture
def app(settings):
    app = create_app({**settings, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(audio_folder())})
    yield app
    stop_audio(app)
    runtime_of(app).store.dispose()


def assert_every_prompt_is_played_audio(app, turns) -> int:
    """Fetch every <Play> URL of the turns as Twilio would; return how many were played."""
    client, played = app.test_client(), 0
    for turn in turns:
        assert turn.heard, turn.action
        for utterance in turn.heard:
            assert utterance.url is not None, f"said instead of played: {utterance}"
            answer = client.get(utterance.url)
            assert answer.status_code == 200, utterance.url
            assert answer.mimetype == "audio/wav"
            assert "immutable" in answer.headers["Cache-Control"]
            sound = sound_of(answer.data)
            assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2)
            assert sound.seconds > 0.3
            played += 1
    return played


@needs_engine
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_whole_registration_call_is_played_from_rendered_audio(app, people, phone, language):
    rendered_catalog(app)
    caller = phone()
    complete(caller, people["amina"], language)
    assert assert_every_prompt_is_played_audio(app, caller.turns) >= 8


@needs_engine
def test_the_information_menu_plays_the_category_dates(app, phone):
    rendered_catalog(app)
    caller = phone()
    choose(caller, "ar", "2")
    caller.press("3")
    assert assert_every_prompt_is_played_audio(app, caller.turns) >= 4


@needs_engine
def test_played_urls_are_built_under_the_public_base_url(settings, people):
    from ivr.simulator.caller import SimulatedCaller

    app = create_app(
        {
            **settings,
            "IVR_PROMPT_MODE": "play",
            "IVR_AUDIO_DIR": str(audio_folder()),
            "PUBLIC_BASE_URL": "https://ivr.example.ma/",
        }
    )
    try:
        rendered_catalog(app)
        caller = SimulatedCaller.in_process(app)
        choose(caller, "fr", "1")
        identify(caller, people["youssef"])
        urls = [u.url for turn in caller.turns for u in turn.heard]
        assert urls and all(url.startswith("https://ivr.example.ma/audio/") for url in urls)
        assert assert_every_prompt_is_played_audio(app, caller.turns) == len(urls)
    finally:
        stop_audio(app)
        runtime_of(app).store.dispose()


def test_play_mode_without_espeak_ng_says_the_prompts_and_says_why_once(settings, monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on this PATH
    app = create_app({**settings, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(tmp_path)})
    try:
        from ivr.simulator.caller import SimulatedCaller

        turn = SimulatedCaller.in_process(app).dial()
        assert turn.heard and all(u.url is None and u.text for u in turn.heard)
        warnings = [r.getMessage() for r in caplog.records if "IVR_PROMPT_MODE=play" in r.getMessage()]
        assert len(warnings) == 1 and "espeak-ng is not installed" in warnings[0]
    finally:
        stop_audio(app)
        runtime_of(app).store.dispose()


def test_audio_urls_outside_the_library_are_not_found(app):
    client = app.test_client()
    for path in (
        "/audio/../ivr.sqlite3",
        "/audio/..%2F..%2Fetc%2Fpasswd.wav",
        "/audio/%2e%2e.wav",
        "/audio/0123456789abcdef.wav",
        "/audio/p99999.wav",
    ):
        assert client.get(path).status_code == 404, path


@needs_engine
def test_twilio_asking_again_for_audio_it_has_cached_gets_not_modified(app, phone):
    rendered_catalog(app)
    url = phone().dial().heard[0].url
    first = app.test_client().get(url)
    again = app.test_client().get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and again.status_code == 304


@needs_engine
def test_the_console_caller_prints_beside_each_played_url_the_prompt_recognised_without_its_values(app, people):
    rendered_catalog(app)
    amina = people["amina"]
    keys = ["2", "1", amina.cin_digits + "#", amina.birth, "1", "1", "h"]

    result = app.test_cli_runner().invoke(args=["call"], input="\n".join(keys) + "\n")

    assert result.exit_code == 0, result.output
    played = [line.strip() for line in result.output.splitlines() if "[play] " in line]
    assert len(played) >= 8
    assert all(re.search(r"\[play\] http://\S+/audio/\S+\.wav -> \[(fr|ar)\] ", line) for line in played), played
    assert any(line.endswith("-> [fr] Pour continuer en français, tapez 2.") for line in played)
    # The registration number is heard as its placeholder: the values are not in the recognised text.
    assert any("Votre numéro d'immatriculation est : {number}." in line for line in played)
