"""`--audio call.wav`: a tester listens to what a scripted caller heard, in play mode as in say mode."""

import shutil
import wave

import pytest

from ivr.factory import create_app
from ivr.settings import PROJECT_DIR

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: no voice to speak the prompts"
)

SCENARIO = PROJECT_DIR / "scenarios" / "hang_up_mid_flow.yaml"


@pytest.fixture
def cli(tmp_path):
    def runner(**config):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
                "IVR_SECRET_KEY": "s" * 64,
                **config,
            }
        )
        return app.test_cli_runner()

    return runner


def seconds_of(path) -> float:
    with wave.open(str(path)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        return audio.getnframes() / audio.getframerate()


def test_replay_writes_the_call_as_one_telephone_wav(cli, tmp_path):
    path = tmp_path / "call.wav"
    result = cli().invoke(args=["replay", str(SCENARIO), "--audio", str(path)])

    assert result.exit_code == 0, result.output
    assert f"-- what the caller heard: {path}" in result.output
    assert seconds_of(path) > 5


def test_replaying_several_scenarios_writes_one_wav_each(cli, tmp_path):
    other = PROJECT_DIR / "scenarios" / "advisor_zero_on_the_language_menu.yaml"
    result = cli().invoke(args=["replay", str(SCENARIO), str(other), "--audio", str(tmp_path / "call.wav")])

    assert result.exit_code == 0, result.output
    assert seconds_of(tmp_path / f"call-{SCENARIO.stem}.wav") > 1
    assert seconds_of(tmp_path / f"call-{other.stem}.wav") > 1


def test_audio_does_not_go_with_many_callers(cli, tmp_path):
    result = cli().invoke(args=["replay", str(SCENARIO), "--callers", "2", "--audio", str(tmp_path / "x.wav")])

    assert result.exit_code != 0
    assert "--audio records one call" in result.output
