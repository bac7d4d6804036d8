"""The real engine renders the real catalog into telephone WAV files, once per text and voice."""

import shutil

import numpy
import pytest

from ivr.audio import concatenate, synthesize, wav
from ivr.audio.library import AudioLibrary
from ivr.audio.pieces import known_values, texts_to_render
from ivr.audio.player import Player, player_for
from ivr.audio.synthesis import voice_settings
from ivr.callflow import twiml_writer
from ivr.callflow.engine import Prompt, Reply
from ivr.factory import create_app
from ivr.speech.values import DigitString
from ivr.web.extension import runtime_of
from tests.audio_support import needs_engine, rendered_catalog, sound_of, stop_audio

pytestmark = needs_engine


@pytest.fixture
def play_app(settings, tmp_path):
    app = create_app({**settings, "IVR_PROMPT_MODE": "play", "IVR_AUDIO_DIR": str(tmp_path / "audio")})
    yield app
    stop_audio(app)
    runtime_of(app).store.dispose()


def test_every_prompt_and_known_value_is_rendered_as_8_khz_mono_16_bit_speech(app, rt):
    folder = rendered_catalog(app)
    library = play_library(folder)
    for language, texts in texts_to_render(rt.catalog.for_synthesis(), known_values(rt)).items():
        for text in texts:
            sound = sound_of(library.path(library.name(language, text)).read_bytes())
            assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2), text
            # Speech takes time in proportion to the text: neither a click nor a minute of silence.
            assert 0.02 * len(text) < sound.seconds < 1 + 0.4 * len(text), (language, text, sound.seconds)


def test_synthesised_pieces_play_at_the_recordings_level_with_their_peaks_under_the_ceiling_and_faded(app, rt):
    folder = rendered_catalog(app)
    library = play_library(folder)
    measured = 0
    for language, texts in texts_to_render(rt.catalog.for_synthesis(), known_values(rt)).items():
        for text in texts[:40]:
            samples = wav.read_wav(library.path(library.name(language, text)).read_bytes())
            signal = numpy.array(samples, dtype=numpy.float64) / wav.FULL_SCALE
            assert wav.true_peak(signal) <= wav.PEAK_CEILING_DBFS + 0.1, (language, text)
            assert abs(samples[0]) < 100 and abs(samples[-1]) < 100, (language, text)  # faded: no click at a join
            if len(samples) >= wav.LOUDNESS_BLOCK_S * wav.RATE:
                assert wav.loudness(signal) == pytest.approx(wav.TARGET_LUFS, abs=1.0), (language, text)
                measured += 1
    assert measured > 20


def test_rendering_again_renders_a_changed_prompt_and_leaves_the_others_alone(app, rt, tmp_path):
    folder = tmp_path / "audio"
    shutil.copytree(rendered_catalog(app), folder)
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    rt.catalog.texts["fr"]["common.goodbye"] = "Merci de votre appel, et à bientôt."

    result = app.test_cli_runner().invoke(args=["prompts", "render", "--audio-dir", str(folder)])

    assert result.exit_code == 0, result.output
    assert "1 rendered, " in result.output
    after = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    new_name = play_library(folder).name("fr", "Merci de votre appel, et à bientôt.")
    assert set(after) - set(before) == {f"{new_name}.wav"}
    assert all(after[name] == mtime for name, mtime in before.items())


def test_synthesize_and_concatenate_give_telephone_wavs_for_the_simulated_caller():
    french, arabic = synthesize("Bonjour.", "fr"), synthesize("مرحبا.", "ar")
    both = sound_of(concatenate([french, arabic]))
    assert (both.rate, both.channels, both.sample_width) == (8000, 1, 2)
    assert both.seconds == pytest.approx(sound_of(french).seconds + sound_of(arabic).seconds, abs=0.01)
    assert sound_of(french).seconds > 0.2 and sound_of(arabic).seconds > 0.2


def test_an_uncached_dynamic_prompt_is_rendered_on_demand_then_served(play_app):
    rt = runtime_of(play_app)
    params = {"number": DigitString("100000017"), "last_four": DigitString("4578")}
    with play_app.test_request_context():
        url = Player(rt.extras["audio"], rt.catalog, "http://localhost", wait=60).url("ar", "credentials.sent", params)
    answer = play_app.test_client().get(url)
    assert answer.status_code == 200 and answer.mimetype == "audio/wav"
    assert sound_of(answer.data).seconds > 5


def test_a_prompt_whose_audio_is_not_ready_in_time_is_said_and_played_once_rendered(play_app):
    rt = runtime_of(play_app)
    library = rt.extras["audio"]
    reply = Reply([Prompt("common.goodbye")])
    xml = twiml_writer.render(
        reply,
        rt.catalog,
        ["fr"],
        "/voice/step",
        "+212520194040",
        player=Player(library, rt.catalog, "http://localhost", wait=0),
    )
    assert "<Say" in xml and "<Play>" not in xml
    assert library.ready("fr", [rt.catalog.text("fr", "common.goodbye")], wait=60)
    with play_app.test_request_context():
        xml = twiml_writer.render(
            reply, rt.catalog, ["fr"], "/voice/step", "+212520194040", player=player_for(rt, "http://localhost/")
        )
    assert "<Play>http://localhost/audio/" in xml and "<Say" not in xml


def play_library(folder) -> AudioLibrary:
    """Return a library that names files (it renders nothing)."""
    return AudioLibrary(folder, voice_settings(), synthesizer=None)


def test_a_missing_espeak_ng_voice_is_named_as_the_reason_to_say_the_prompts():
    from ivr.audio.synthesis import VoiceSettings, unavailable_reason

    reason = unavailable_reason({"fr": VoiceSettings("fr", 150), "ar": VoiceSettings("xyzvoice", 150)})
    assert reason == "espeak-ng has no voice 'xyzvoice' (for ar)"
    assert unavailable_reason(voice_settings()) is None


def test_the_engine_worker_reports_a_voice_espeak_ng_lacks_and_goes_on_rendering(tmp_path):
    from ivr.audio.synthesis import SynthesisError, Synthesizer, VoiceSettings

    synthesizer = Synthesizer()
    try:
        with pytest.raises(SynthesisError, match="xyzvoice"):
            synthesizer.render("Bonjour.", VoiceSettings("xyzvoice", 150), tmp_path / "none.wav")
        synthesizer.render("Bonjour.", voice_settings()["fr"], tmp_path / "bonjour.wav")
    finally:
        synthesizer.close()
    assert not (tmp_path / "none.wav").exists()
    sound = sound_of((tmp_path / "bonjour.wav").read_bytes())
    assert (sound.rate, sound.channels, sound.sample_width) == (8000, 1, 2) and sound.seconds > 0.2
