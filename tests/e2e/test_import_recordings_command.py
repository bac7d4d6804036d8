"""`flask --app app prompts import-recordings DIR` as an operator runs it: on a terminal, in a script, again."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pexpect
import pytest
import soundfile

from ivr.audio import recordings
from tests.commands import on_a_terminal, run_flask

RATE = 44100
IMPORT = ("prompts", "import-recordings")


@pytest.fixture
def env(store_url):
    return {**os.environ, "DATABASE_URL": store_url, "IVR_SECRET_KEY": "t" * 64, "IVR_SMS_SENDER": "off"}


@pytest.fixture
def studio(tmp_path) -> Path:
    """Ten digits recorded at 44.1 kHz stereo, 24-bit, each a short tone between silences, and one stray file."""
    folder = tmp_path / "studio"
    (folder / "fr").mkdir(parents=True)
    n = np.arange(RATE // 2)
    for digit in range(10):
        sound = np.concatenate([np.zeros(RATE // 5), 0.2 * np.sin(2 * np.pi * (400 + 50 * digit) * n / RATE)])
        stereo = np.stack([sound, sound], axis=1)
        soundfile.write(str(folder / "fr" / f"digit.{digit}.wav"), stereo, RATE, subtype="PCM_24")
    return folder


def test_on_a_terminal_the_import_shows_a_progress_bar_then_a_line_per_file_and_the_counts(env, studio, tmp_path):
    audio_dir = tmp_path / "audio"
    terminal = on_a_terminal(*IMPORT, str(studio), "--audio-dir", str(audio_dir), env=env)
    terminal.expect(r"Importing recordings +\[[#-]+\] +100%")
    terminal.expect(r"fr/digit\.0\.wav: imported: 0\.\d s as [0-9a-f]{16}")
    terminal.expect("10 imported, 0 replaced, 0 unchanged, 0 refused")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0
    assert set(recordings.load(audio_dir).keys("fr")) == {f"digit.{d}" for d in range(10)}


def test_in_a_script_the_import_reports_without_a_progress_bar_and_exits_1_when_a_file_is_refused(
    env, studio, tmp_path
):
    (studio / "fr" / "digit.10.wav").write_bytes((studio / "fr" / "digit.1.wav").read_bytes())
    audio_dir = tmp_path / "audio"
    done = run_flask(*IMPORT, str(studio), "--audio-dir", str(audio_dir), env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Importing recordings" not in done.stdout
    assert "fr/digit.10.wav: refused: unknown key digit.10 (did you mean digit.1?)" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("10 imported, 0 replaced, 0 unchanged, 1 refused")

    again = run_flask(*IMPORT, str(studio), "--audio-dir", str(audio_dir), env=env)
    assert again.returncode == 1
    assert again.stdout.splitlines()[-1].startswith("0 imported, 0 replaced, 10 unchanged, 1 refused")


def test_a_studio_folder_that_does_not_exist_exits_2_saying_so(env, tmp_path):
    done = run_flask(*IMPORT, str(tmp_path / "nowhere"), env=env)
    assert done.returncode == 2
    assert "does not exist" in done.stderr
